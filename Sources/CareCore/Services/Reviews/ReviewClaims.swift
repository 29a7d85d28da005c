import FluentKit
import Foundation
import SQLKit

/// Reviews from the public form, which anyone can post with any address.
///
/// Nothing unauthenticated claims an identity: such a review is published at once, unverified, and
/// belongs to the store's "unconfirmed reviewer", not to whoever owns the address typed in. The address
/// is sent one mail with a signed link (at most one a day per address and store, so the form cannot be
/// used to mail-bomb anyone); only when its owner confirms does the review join that customer, get
/// checked against their orders, and start care (a conversation, mail) like any other review.
public enum ReviewClaims {
    static let placeholderEmail = "unconfirmed@reviewers.invalid"
    static let placeholderName = "Unconfirmed reviewer (public form)"
    public static let mailInterval: TimeInterval = 24 * 3600
    public static let linkLifetime: TimeInterval = 14 * 24 * 3600
    static let tokenPrefix = "rc"

    /// The store's one unconfirmed reviewer, made the first time it is needed.
    static func placeholder(storeID: UUID, now: Date, on sql: any SQLDatabase) async throws -> Customer {
        try await Catalog.customer(email: EmailAddress(placeholderEmail), name: placeholderName, storeID: storeID, now: now, on: sql).customer
    }

    static func isPlaceholder(_ c: Customer) -> Bool { c.email == placeholderEmail }

    /// Records the claim in the review's transaction, and queues the confirmation mail unless this
    /// address had one from this store within a day. Returns whether a mail was queued.
    @discardableResult
    static func record(
        review: Review, product: Product, store: Store, email: EmailAddress, name: String?, links: CareLinks,
        now: Date, on sql: any SQLDatabase
    ) async throws -> Bool {
        let storeID = try store.requireID()
        let claimID = UUID()
        let recent =
            try await sql.raw(
                """
                SELECT id FROM review_claims WHERE store_id = \(bind: storeID) AND email = \(bind: email.value)
                  AND mailed_at > \(bind: now.addingTimeInterval(-mailInterval)) LIMIT 1
                """
            ).first() != nil
        try await sql.raw(
            """
            INSERT INTO review_claims (id, store_id, review_id, email, name, created_at, mailed_at)
            VALUES (\(bind: claimID), \(bind: storeID), \(bind: review.requireID()), \(bind: email.value), \(bind: name), \(bind: now),
                    \(bind: recent ? nil : now))
            """
        ).run()
        guard !recent else { return false }
        let link = confirmationLink(claimID, links: links, now: now)
        // The mail names the store and product only: nothing a stranger typed is put in it.
        let body = """
            Thank you for your review of \(product.name) at \(store.name).

            To confirm that you wrote it, open this link and press the button on the page:
            \(link)

            Confirming joins the review to your purchases (it is marked "verified" when you bought the product) and lets the shop answer you. The review is published whether or not you confirm.

            If you did not write a review, ignore this email. You will not get another one about it.
            """
        try await Outbox.enqueue(
            .staffNotification(to: [email.value], subject: "Please confirm your review for \(store.name)", body: body, fromName: store.name),
            storeID: storeID, now: now, on: sql)
        return true
    }

    public static func confirmationLink(_ claimID: UUID, links: CareLinks, now: Date) -> String {
        "\(links.publicURL)/confirm/\(links.pageToken(tokenPrefix + claimID.uuidString.lowercased(), expires: now.addingTimeInterval(linkLifetime)))"
    }

    public enum Outcome: Sendable, Equatable {
        case confirmed(reviewID: UUID, conversationOpened: Bool)
        case alreadyConfirmed
    }

    /// The claim a confirmation token names, or a not-found / gone error.
    static func claimID(token: String, links: CareLinks, now: Date) throws -> UUID {
        switch links.openPage(token, now: now) {
        case .expired: throw CareError.linkExpired(message: "this confirmation link has expired")
        case .invalid: throw CareError.notFound("confirmation")
        case .open(let t):
            guard t.hasPrefix(tokenPrefix), let id = UUID(uuidString: String(t.dropFirst(tokenPrefix.count))) else {
                throw CareError.notFound("confirmation")
            }
            return id
        }
    }

    /// A review waiting for its address to confirm it, as the confirmation page shows it.
    public struct Pending: Sendable {
        public let claimID: UUID
        public let productName: String
        public let rating: Int
        public let title: String?
        public let body: String?
        public let writtenAt: Date
    }

    /// What a token opens, changing nothing (the page a scanner's click opens): the store, and every
    /// review posted on the form with the same address in the link's lifetime and not yet confirmed,
    /// each with its words, so the owner confirms only what they wrote.
    public static func check(token: String, links: CareLinks, now: Date, on db: any Database) async throws -> (storeName: String, pending: [Pending])
    {
        let id = try claimID(token: token, links: links, now: now)
        let sql = db.sql
        guard
            let claim = try await sql.raw(
                """
                SELECT c.store_id, c.email, s.name FROM review_claims c JOIN stores s ON s.id = c.store_id WHERE c.id = \(bind: id)
                """
            ).first()
        else { throw CareError.notFound("confirmation") }
        let pending = try await sql.raw(
            """
            SELECT c.id, p.name AS product, r.rating, r.title, r.body, r.created_at FROM review_claims c
            JOIN reviews r ON r.id = c.review_id JOIN products p ON p.id = r.product_id
            WHERE c.store_id = \(bind: try claim.decode(column: "store_id", as: UUID.self)) AND c.email = \(bind: try claim.decode(column: "email", as: String.self))
              AND c.confirmed_at IS NULL AND c.created_at > \(bind: now.addingTimeInterval(-linkLifetime))
            ORDER BY r.created_at LIMIT 20
            """
        ).all().map {
            Pending(
                claimID: try $0.decode(column: "id", as: UUID.self), productName: try $0.decode(column: "product", as: String.self),
                rating: try $0.decode(column: "rating", as: Int.self), title: try $0.decode(column: "title", as: String?.self),
                body: try $0.decode(column: "body", as: String?.self), writtenAt: try $0.decode(column: "created_at", as: Date.self))
        }
        return (try claim.decode(column: "name", as: String.self), pending)
    }

    /// The owner of the address confirms: the review joins their customer record, is verified
    /// against their orders, and the store's `review.created` triggers run for it now.
    /// `chosen`: which of the address's pending reviews (the token's own when nil); it must carry the
    /// same address in the same store as the token's.
    public static func confirm(token: String, chosen: UUID? = nil, links: CareLinks, storage: CareStorage, on db: any Database) async throws
        -> Outcome
    {
        let now = storage.now()
        let tokenClaim = try claimID(token: token, links: links, now: now)
        return try await storage.write(on: db) { sql in
            let id = chosen ?? tokenClaim
            guard
                let claim = try await sql.raw(
                    """
                    SELECT c.review_id, c.email, c.name, c.confirmed_at FROM review_claims c JOIN review_claims t ON t.id = \(bind: tokenClaim)
                    WHERE c.id = \(bind: id) AND c.store_id = t.store_id AND c.email = t.email
                    """
                ).first()
            else { throw CareError.notFound("confirmation") }
            if try claim.decode(column: "confirmed_at", as: Date?.self) != nil { return .alreadyConfirmed }
            let reviewID = try claim.decode(column: "review_id", as: UUID.self)
            guard let review = try await sql.first(Review.self, { $0.where("id", .equal, reviewID) }),
                let store = try await sql.first(Store.self, { $0.where("id", .equal, review.storeID) }),
                let product = try await sql.first(Product.self, { $0.where("id", .equal, review.productID) })
            else { throw CareError.notFound("confirmation") }
            let email = try EmailAddress(try claim.decode(column: "email", as: String.self))
            let (customer, isNew) = try await Catalog.customer(
                email: email, name: try claim.decode(column: "name", as: String?.self),
                storeID: review.storeID, now: now, on: sql)
            let customerID = try customer.requireID()
            let orderID =
                isNew
                ? nil
                : try await ReviewIngest.verifyingOrderID(
                    orderExternalID: nil, customerID: customerID, productID: review.productID, storeID: review.storeID, on: sql)
            try await sql.raw(
                """
                UPDATE reviews SET customer_id = \(bind: customerID), order_id = \(bind: orderID), verified = \(bind: orderID != nil),
                    updated_at = \(bind: now) WHERE id = \(bind: reviewID)
                """
            ).run()
            WriteEffects.noteReviewsChanged(store: review.storeID, product: review.productID)
            try await sql.raw("UPDATE review_claims SET confirmed_at = \(bind: now) WHERE id = \(bind: id)").run()
            review.customerID = customerID
            review.orderID = orderID
            review.verified = orderID != nil
            let cared = try await TriggerRunner.fire(
                .reviewCreated, subject: CareSubject(store: store, customer: customer, review: review, product: product),
                links: links, now: now, on: sql)
            return .confirmed(reviewID: reviewID, conversationOpened: cared.conversation != nil)
        }
    }
}

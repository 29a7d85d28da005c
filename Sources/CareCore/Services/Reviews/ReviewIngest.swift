import FluentKit
import Foundation
import SQLKit

/// Taking in a review from any source: one transaction that finds or creates the product and the
/// customer, verifies against orders, applies content rules (blind to the stars) and counts it.
public enum ReviewIngest {
    public struct Stored: Sendable {
        public let review: Review
        public let product: Product
        public let customer: Customer
        /// The conversation a care trigger opened for this review, if one did.
        public let conversation: Conversation?
    }

    public static func submit(
        _ submission: ReviewSubmission, store: Store, moderation: Moderation = Moderation(),
        links: CareLinks, storage: CareStorage, on db: any Database
    ) async throws -> Stored {
        let input = try submission.validated()
        let storeID = try store.requireID()
        let holdHours = store.moderationHoldHours
        return try await storage.write(on: db) { tx in
            let now = storage.now()
            let product: Product
            if input.mustBeKnownProduct {
                guard let found = try await Catalog.storedProduct(storeID: storeID, externalID: input.product.externalID, on: tx)
                else { throw CareError.notFound("product") }
                product = found
            } else {
                product = try await Catalog.product(input.product, storeID: storeID, now: now, on: tx)
            }
            // The public form proves no identity: its reviews belong to the store's unconfirmed
            // reviewer until the address confirms (ReviewClaims), and are checked against no orders.
            let unconfirmed = input.source == .widget
            let (customer, isNewCustomer) =
                unconfirmed
                ? (try await ReviewClaims.placeholder(storeID: storeID, now: now, on: tx), true)
                : try await Catalog.customer(email: input.email, name: input.customerName, storeID: storeID, now: now, on: tx)
            let productID = try product.requireID()
            let customerID = try customer.requireID()

            // A customer created just now has no orders and no earlier reviews: skip asking.
            let orderID =
                isNewCustomer
                ? nil
                : try await verifyingOrderID(
                    orderExternalID: input.orderExternalID, customerID: customerID, productID: productID,
                    storeID: storeID, on: tx)
            let earlier = isNewCustomer ? [] : try await Catalog.recentTexts(customerID: customerID, on: tx)
            let decision = moderation.decide(ReviewContent(title: input.title, body: input.body, earlierTextsBySameCustomer: earlier))

            let review = Review(
                id: UUID(), storeID: storeID, productID: productID, customerID: customerID, orderID: orderID,
                rating: input.rating, title: input.title, body: input.body,
                authorName: input.authorName ?? (unconfirmed ? input.customerName : customer.name).map(displayName) ?? "Customer",
                source: input.source, createdAt: now, updatedAt: now)
            switch decision {
            case .publish:
                review.status = .published
            case .hold(let rule, let reason):
                review.status = .pending
                review.heldByRule = rule
                review.statusReason = reason
                review.publishAfter = now.addingTimeInterval(TimeInterval(holdHours) * 3600)
            }
            try await Catalog.insert(review, on: tx)
            if review.status == .published {
                try await RatingSummaryCounter.add(input.rating, productID: productID, storeID: storeID, writtenAt: now, on: tx)
            }
            // Care triggers run in the same transaction: the conversation and its email are stored
            // together with the review, or not at all. They never touch the review's publication.
            if unconfirmed {
                // Care starts when the address is confirmed, not before: no mail to whoever was named.
                try await ReviewClaims.record(
                    review: review, product: product, store: store, email: input.email,
                    name: input.customerName, links: links, now: now, on: tx)
            }
            let subject = CareSubject(store: store, customer: customer, review: review, product: product)
            let cared =
                unconfirmed
                ? subject
                : try await TriggerRunner.fire(
                    .reviewCreated, subject: subject, links: links, now: now, on: tx)
            try await Webhooks.enqueue(
                .reviewCreated, data: WebhookData.review(review, product: product, customer: customer),
                storeID: storeID, now: now, on: tx)
            return Stored(review: review, product: product, customer: customer, conversation: cared.conversation)
        }
    }

    /// "Jane Doe" is shown as "Jane D.": enough to be a person, not enough to be found.
    public static func displayName(_ full: String) -> String {
        let parts = full.split(separator: " ").map(String.init)
        guard let first = parts.first else { return "Customer" }
        guard parts.count > 1, let initial = parts.last?.first else { return first }
        return "\(first) \(initial)."
    }

    static func verifyingOrderID(
        orderExternalID: String?, customerID: UUID, productID: UUID,
        storeID: UUID, on sql: any SQLDatabase
    ) async throws -> UUID? {
        var named: Verification.OrderFacts?
        var candidates: [Verification.OrderFacts] = []
        if let orderExternalID {
            if let order = try await sql.first(Order.self, { $0.where("store_id", .equal, storeID).where("external_id", .equal, orderExternalID) }) {
                named = try await facts(order, on: sql)
            }
        } else {
            // A customer has few orders; a popular product has many. Start from the customer.
            let orders = try await sql.all(Order.self) { $0.where("store_id", .equal, storeID).where("customer_id", .equal, customerID) }
            let orderIDs = try orders.map { try $0.requireID() }
            if !orderIDs.isEmpty {
                let items = try await sql.all(OrderItem.self) {
                    $0.where("order_id", .in, SQLBind.group(orderIDs)).where("product_id", .equal, productID)
                }
                candidates = items.map {
                    Verification.OrderFacts(
                        orderID: $0.orderID.uuidString, customerID: customerID.uuidString,
                        productIDs: [productID.uuidString])
                }
            }
        }
        let verifying = Verification.verifyingOrder(
            customerID: customerID.uuidString, productID: productID.uuidString,
            namedOrder: named, orderWasNamed: orderExternalID != nil, customerOrders: candidates)
        return verifying.flatMap { UUID(uuidString: $0.orderID) }
    }

    private static func facts(_ order: Order, on sql: any SQLDatabase) async throws -> Verification.OrderFacts {
        let orderID = try order.requireID()
        let items = try await sql.all(OrderItem.self) { $0.where("order_id", .equal, orderID) }
        return Verification.OrderFacts(
            orderID: orderID.uuidString, customerID: order.customerID.uuidString,
            productIDs: Set(items.map(\.productID.uuidString)))
    }
}

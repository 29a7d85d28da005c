import FluentKit
import Foundation
import SQLKit

/// A customer's rights over what the store keeps about them (GDPR articles 15 and 17): everything
/// stored, as one JSON document; and erasure, which removes who they are and what they wrote while
/// each review's rating stays in the store's figures as an anonymous review.
public enum CustomerPrivacy {
    /// The store's customer with this address (`careloop customer export`).
    public static func customer(storeID: UUID, email: EmailAddress, on db: any Database) async throws -> Customer? {
        try await Customer.query(on: db).filter(\.$storeID == storeID).filter(\.$email == email.value).first()
    }

    static let erasedText = "[erased at the customer's request]"

    /// Everything stored about one customer of one store (another store's id is not found).
    public static func export(customerID: UUID, storeID: UUID, now: Date, on db: any Database) async throws -> JSONNode {
        guard let customer = try await Customer.query(on: db).filter(\.$id == customerID).filter(\.$storeID == storeID).first()
        else { throw CareError.notFound("customer") }
        let date = { (d: Date?) -> JSONNode in d.map { .string(ISODate.format($0)) } ?? .null }
        let text = { (s: String?) -> JSONNode in s.map(JSONNode.string) ?? .null }
        let orders = try await Order.query(on: db).filter(\.$customerID == customerID).sort(\.$createdAt).all()
        let items = try await OrderItem.query(on: db).filter(\.$orderID ~~ orders.compactMap(\.id)).all()
        let reviews = try await Review.query(on: db).filter(\.$customerID == customerID).sort(\.$createdAt).all()
        let reviewIDs = reviews.compactMap(\.id)
        let edits = try await ReviewEdit.query(on: db).filter(\.$reviewID ~~ reviewIDs).sort(\.$editedAt).all()
        let replies = try await ReviewReply.query(on: db).filter(\.$reviewID ~~ reviewIDs).all()
        let products = try await ReviewQueries.byID(Product.self, ids: Set(reviews.map(\.productID) + items.map(\.productID)), on: db)
        let conversations = try await Conversation.query(on: db).filter(\.$customerID == customerID).sort(\.$createdAt).all()
        let messages = try await ConversationMessage.query(on: db).filter(\.$conversationID ~~ conversations.compactMap(\.id)).sort(\.$createdAt)
            .all()
        let notes = try await CustomerNote.query(on: db).filter(\.$customerID == customerID).sort(\.$createdAt).all()
        func product(_ id: UUID) -> JSONNode { products[id].map { .string($0.externalID) } ?? .null }
        // Reviews posted on the public form with their address and not (yet) confirmed.
        let claimed: [JSONNode] =
            try await db.sql.raw(
                """
                SELECT r.rating, r.title, r.body, r.created_at, c.confirmed_at FROM review_claims c JOIN reviews r ON r.id = c.review_id
                WHERE c.store_id = \(bind: storeID) AND c.email = \(bind: customer.email) ORDER BY r.created_at
                """
            ).all().map { row in
                .object([
                    "rating": .number(Double(try row.decode(column: "rating", as: Int.self))),
                    "title": text(try row.decode(column: "title", as: String?.self)),
                    "body": text(try row.decode(column: "body", as: String?.self)),
                    "created_at": date(try row.decode(column: "created_at", as: Date.self)),
                    "confirmed_at": date(try row.decode(column: "confirmed_at", as: Date?.self)),
                ])
            }
        // Mail to the address that bounced: the customer may ask what CareLoop knows of their mailbox.
        let bounces: [JSONNode] =
            try await db.sql.raw(
                """
                SELECT mail_kind, permanent, status, diagnostic, created_at, cleared_at FROM mail_bounces
                WHERE store_id = \(bind: storeID) AND email = \(bind: customer.email) ORDER BY created_at
                """
            ).all().map { row in
                .object([
                    "mail": .string(try row.decode(column: "mail_kind", as: String.self)),
                    "permanent": .bool(try row.decode(column: "permanent", as: Bool.self)),
                    "status": .string(try row.decode(column: "status", as: String.self)),
                    "diagnostic": text(try row.decode(column: "diagnostic", as: String?.self)),
                    "at": date(try row.decode(column: "created_at", as: Date.self)),
                    "cleared_at": date(try row.decode(column: "cleared_at", as: Date?.self)),
                ])
            }
        return .object([
            "exported_at": date(now),
            "mail_bounces": .array(bounces),
            "customer": .object([
                "id": .string(customerID.uuidString), "email": .string(customer.email), "name": text(customer.name),
                "first_seen": date(customer.createdAt),
            ]),
            "orders": .array(
                orders.map { o in
                    .object([
                        "external_id": .string(o.externalID), "placed_at": date(o.placedAt), "fulfilled_at": date(o.fulfilledAt),
                        "total": o.totalCents.map { .number(Double($0)) } ?? .null, "currency": text(o.currency),
                        "items": .array(
                            items.filter { $0.orderID == o.id }.map { i in
                                .object([
                                    "product": product(i.productID), "quantity": .number(Double(i.quantity)),
                                    "unit_price": i.unitPriceCents.map { .number(Double($0)) } ?? .null,
                                ])
                            }),
                    ])
                }),
            "reviews": .array(
                reviews.map { r in
                    .object([
                        "id": .string(r.id!.uuidString), "product": product(r.productID), "rating": .number(Double(r.rating)),
                        "title": text(r.title), "body": text(r.body), "author_name": .string(r.authorName), "status": .string(r.status.rawValue),
                        "verified": .bool(r.verified), "created_at": date(r.createdAt),
                        "earlier_versions": .array(
                            edits.filter { $0.reviewID == r.id }.map { e in
                                .object([
                                    "rating": .number(Double(e.previousRating)), "title": text(e.previousTitle), "body": text(e.previousBody),
                                    "replaced_at": date(e.editedAt),
                                ])
                            }),
                        "store_reply": text(replies.first { $0.reviewID == r.id }?.body),
                    ])
                }),
            "conversations": .array(
                conversations.map { c in
                    .object([
                        "id": .string(c.id!.uuidString), "subject": .string(c.subject), "status": .string(c.status.rawValue),
                        "created_at": date(c.createdAt),
                        "messages": .array(
                            messages.filter { $0.conversationID == c.id && $0.author != .note }.map { m in
                                .object(["from": .string(m.author.rawValue), "body": .string(m.body), "at": date(m.createdAt)])
                            }),
                    ])
                }),
            "staff_notes": .array(notes.map { .object(["body": .string($0.body), "at": date($0.createdAt)]) }),
            "public_form_reviews": .array(claimed),
        ])
    }

    /// Erases a customer: their name and address, what they wrote (review texts, earlier versions,
    /// every message of their conversations), staff notes about them, their orders, and any queued
    /// mail or webhook carrying their data. Each review stays with its rating, as "Anonymous", so the
    /// store's figures do not change. Returns how many reviews were kept anonymously.
    public static func erase(customerID: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws -> Int {
        let now = storage.now()
        return try await storage.write(on: db) { sql in try await erase(customerID: customerID, storeID: storeID, now: now, on: sql) }
    }

    /// `erase`, in the caller's write (a shop's erasure request is recorded in the same one).
    static func erase(customerID: UUID, storeID: UUID, now: Date, on sql: any SQLDatabase) async throws -> Int {
        guard
            let row = try await sql.raw(
                """
                SELECT email, erased_at FROM customers WHERE id = \(bind: customerID) AND store_id = \(bind: storeID)
                """
            ).first()
        else { throw CareError.notFound("customer") }
        if try row.decode(column: "erased_at", as: Date?.self) != nil {
            throw CareError.alreadyErased(message: "this customer was erased already")
        }
        let email = try row.decode(column: "email", as: String.self)
        // Their reviews' names and words leave the store's public lists.
        WriteEffects.noteReviewsChanged(store: storeID, product: nil)
        try await sql.raw(
            """
            UPDATE customers SET email = \(bind: "erased-\(customerID.uuidString.lowercased())@erased.invalid"), name = NULL,
                erased_at = \(bind: now) WHERE id = \(bind: customerID)
            """
        ).run()
        let kept =
            try await sql.raw("SELECT COUNT(*) AS n FROM reviews WHERE customer_id = \(bind: customerID)")
            .first()?.decode(column: "n", as: Int.self) ?? 0
        try await sql.raw(
            """
            UPDATE reviews SET title = NULL, body = NULL, author_name = 'Anonymous', updated_at = \(bind: now)
            WHERE customer_id = \(bind: customerID)
            """
        ).run()
        try await sql.raw(
            """
            UPDATE review_edits SET previous_title = NULL, previous_body = NULL
            WHERE review_id IN (SELECT id FROM reviews WHERE customer_id = \(bind: customerID))
            """
        ).run()
        try await sql.raw(
            """
            UPDATE conversation_messages SET body = \(bind: erasedText)
            WHERE conversation_id IN (SELECT id FROM conversations WHERE customer_id = \(bind: customerID))
            """
        ).run()
        try await sql.raw(
            """
            UPDATE conversations SET subject = \(bind: erasedText), resolution_note = NULL, updated_at = \(bind: now)
            WHERE customer_id = \(bind: customerID)
            """
        ).run()
        try await sql.raw(
            "DELETE FROM message_photos WHERE conversation_id IN (SELECT id FROM conversations WHERE customer_id = \(bind: customerID))"
        ).run()
        // Staff notices quote the customer's name and words.
        try await sql.raw(
            "DELETE FROM staff_notifications WHERE conversation_id IN (SELECT id FROM conversations WHERE customer_id = \(bind: customerID))"
        ).run()
        try await sql.raw("DELETE FROM customer_notes WHERE customer_id = \(bind: customerID)").run()
        // Their orders' ids stay, bare, so a shop's late delivery of one does not bring the customer back.
        try await sql.raw(
            """
            INSERT INTO erased_orders (store_id, external_id, erased_at)
            SELECT store_id, external_id, \(bind: now) FROM orders WHERE customer_id = \(bind: customerID)
            ON CONFLICT (store_id, external_id) DO NOTHING
            """
        ).run()
        try await sql.raw("DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE customer_id = \(bind: customerID))").run()
        try await sql.raw("UPDATE reviews SET order_id = NULL WHERE customer_id = \(bind: customerID)").run()
        try await sql.raw("DELETE FROM orders WHERE customer_id = \(bind: customerID)").run()
        // Reviews they posted on the public form and never confirmed carry their words too.
        try await sql.raw(
            """
            UPDATE reviews SET title = NULL, body = NULL, author_name = 'Anonymous', updated_at = \(bind: now)
            WHERE id IN (SELECT review_id FROM review_claims WHERE store_id = \(bind: storeID) AND email = \(bind: email))
            """
        ).run()
        try await sql.raw("DELETE FROM review_claims WHERE store_id = \(bind: storeID) AND email = \(bind: email)").run()
        try await sql.raw("DELETE FROM help_requests WHERE store_id = \(bind: storeID) AND email = \(bind: email)").run()
        try await sql.raw("DELETE FROM mail_bounces WHERE store_id = \(bind: storeID) AND email = \(bind: email)").run()
        try await sql.raw("DELETE FROM automatic_mail_counts WHERE store_id = \(bind: storeID) AND email = \(bind: email)").run()
        // Deliveries that carry their address or words, whatever their state: never sent, retried or shown again.
        try await sql.raw(
            """
            DELETE FROM outbox WHERE store_id = \(bind: storeID)
              AND (payload LIKE \(bind: "%" + email + "%") OR payload LIKE \(bind: "%" + customerID.uuidString + "%"))
            """
        ).run()
        return kept
    }
}

import FluentKit
import Foundation
import SQLKit

/// Explicit SQL for the rows every review touches (products, customers, reviews). Fluent's model
/// coding walks each model's properties by reflection on every read and write; on the path a
/// review takes in, named columns and hand-built models cost a fraction of that.
enum CatalogRows {
    static func product(storeID: UUID, externalID: String, on sql: any SQLDatabase) async throws -> Product? {
        guard let row = try await sql.raw("""
            SELECT id, name, url, image_url, created_at FROM products
            WHERE store_id = \(bind: storeID) AND external_id = \(bind: externalID)
            """).first() else { return nil }
        return Product(id: try row.decode(column: "id", as: UUID.self), storeID: storeID, externalID: externalID,
                       name: try row.decode(column: "name", as: String.self),
                       url: try row.decode(column: "url", as: String?.self),
                       imageURL: try row.decode(column: "image_url", as: String?.self),
                       createdAt: try row.decode(column: "created_at", as: Date.self))
    }

    static func insert(_ p: Product, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO products (id, store_id, external_id, name, url, image_url, created_at)
            VALUES (\(bind: p.id!), \(bind: p.storeID), \(bind: p.externalID), \(bind: p.name), \(bind: p.url), \(bind: p.imageURL), \(bind: p.createdAt))
            """).run()
    }

    static func updateDetails(_ p: Product, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE products SET name = \(bind: p.name), url = \(bind: p.url), image_url = \(bind: p.imageURL)
            WHERE id = \(bind: p.id!)
            """).run()
        WriteEffects.noteReviewsChanged(store: p.storeID, product: p.id)
    }

    static func customer(storeID: UUID, email: String, on sql: any SQLDatabase) async throws -> Customer? {
        guard let row = try await sql.raw("""
            SELECT id, name, created_at FROM customers WHERE store_id = \(bind: storeID) AND email = \(bind: email)
            """).first() else { return nil }
        let c = Customer(storeID: storeID, email: email, name: try row.decode(column: "name", as: String?.self),
                         createdAt: try row.decode(column: "created_at", as: Date.self))
        c.id = try row.decode(column: "id", as: UUID.self)
        return c
    }

    /// Inserts the customer unless the store already has one with that email; true when inserted.
    static func insertIfNew(_ c: Customer, on sql: any SQLDatabase) async throws -> Bool {
        try await !sql.raw("""
            INSERT INTO customers (id, store_id, email, name, created_at)
            VALUES (\(bind: c.id!), \(bind: c.storeID), \(bind: c.email), \(bind: c.name), \(bind: c.createdAt))
            ON CONFLICT (store_id, email) DO NOTHING RETURNING id
            """).all().isEmpty
    }

    static func setName(_ c: Customer, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE customers SET name = \(bind: c.name) WHERE id = \(bind: c.id!)").run()
    }

    static func insert(_ r: Review, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO reviews (id, store_id, product_id, customer_id, order_id, rating, title, body, author_name,
                status, status_reason, held_by_rule, publish_after, moderated_by, moderated_at, verified, source,
                created_at, updated_at)
            VALUES (\(bind: r.id!), \(bind: r.storeID), \(bind: r.productID), \(bind: r.customerID), \(bind: r.orderID),
                \(bind: r.rating), \(bind: r.title), \(bind: r.body), \(bind: r.authorName), \(bind: r.status.rawValue),
                \(bind: r.statusReason), \(bind: r.heldByRule), \(bind: r.publishAfter), \(bind: r.moderatedBy),
                \(bind: r.moderatedAt), \(bind: r.verified), \(bind: r.source.rawValue), \(bind: r.createdAt), \(bind: r.updatedAt))
            """).run()
        WriteEffects.noteReviewsChanged(store: r.storeID, product: r.productID)
        WriteEffects.noteReviewReceived(r)
    }

    /// The customer's latest review texts, for the duplicate rule; `excluding` leaves out the review being edited.
    static func recentTexts(customerID: UUID, excluding: UUID? = nil, on sql: any SQLDatabase) async throws -> [String] {
        let other: SQLQueryString = excluding.map { "AND id <> \(bind: $0)" } ?? ""
        return try await sql.raw("""
            SELECT title, body FROM reviews WHERE customer_id = \(bind: customerID) \(other) ORDER BY created_at DESC LIMIT 50
            """).all().map { row in
            [try row.decode(column: "title", as: String?.self), try row.decode(column: "body", as: String?.self)]
                .compactMap { $0 }.joined(separator: "\n")
        }
    }
}

import FluentKit
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// The rows every review touches (products, customers, reviews), through their `RowTable`
/// descriptions: on the path a review takes in, Fluent's reflection would cost more than the SQL.
extension Catalog {
    static func storedProduct(storeID: UUID, externalID: String, on sql: any SQLDatabase) async throws -> Product? {
        try await sql.rows(Product.table) { $0.where("store_id", .equal, storeID).where("external_id", .equal, externalID) }.first
    }

    static func insert(_ p: Product, on sql: any SQLDatabase) async throws {
        try await sql.insert(p, into: Product.table)
    }

    static func updateDetails(_ p: Product, on sql: any SQLDatabase) async throws {
        try await sql.update(p, in: Product.table, only: [\.$name, \.$url, \.$imageURL, \.$sku, \.$gtin, \.$mpn, \.$brand])
    }

    static func storedCustomer(storeID: UUID, email: String, on sql: any SQLDatabase) async throws -> Customer? {
        try await sql.rows(Customer.table) { $0.where("store_id", .equal, storeID).where("email", .equal, email) }.first
    }

    /// Inserts the customer unless the store already has one with that email; true when inserted.
    static func insertIfNew(_ c: Customer, on sql: any SQLDatabase) async throws -> Bool {
        let table = Customer.table
        let text = table.statements(for: sql).insert + #" ON CONFLICT ("store_id", "email") DO NOTHING RETURNING "id""#
        let inserted = NIOLockedValueBox(false)
        try await sql.execute(sql: WrittenStatement(text: text, values: table.columns.map { $0.value(c) })) { _ in
            inserted.withLockedValue { $0 = true }
        }
        return inserted.withLockedValue { $0 }
    }

    static func setName(_ c: Customer, on sql: any SQLDatabase) async throws {
        try await sql.update(c, in: Customer.table, only: [\.$name])
    }

    static func insert(_ r: Review, on sql: any SQLDatabase) async throws {
        try await sql.insert(r, into: Review.table)
        WriteEffects.noteReviewReceived(r)
    }

    /// The customer's latest review texts, for the duplicate rule; `excluding` leaves out the review being edited.
    static func recentTexts(customerID: UUID, excluding: UUID? = nil, on sql: any SQLDatabase) async throws -> [String] {
        let other: SQLQueryString = excluding.map { "AND id <> \(bind: $0)" } ?? ""
        return try await sql.raw(
            """
            SELECT title, body FROM reviews WHERE customer_id = \(bind: customerID) \(other) ORDER BY created_at DESC LIMIT 50
            """
        ).all().map { row in
            [try row.decode(column: "title", as: String?.self), try row.decode(column: "body", as: String?.self)]
                .compactMap { $0 }.joined(separator: "\n")
        }
    }
}

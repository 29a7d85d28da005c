import FluentKit
import Foundation
import SQLKit

/// Keeps `product_rating_summaries` in step with published reviews. Updates are single SQL
/// increments, so two transactions on PostgreSQL never overwrite each other's counts.
public enum RatingSummaryCounter {
    static func createRow(for productID: UUID, storeID: UUID, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO product_rating_summaries (product_id, store_id, stars_1, stars_2, stars_3, stars_4, stars_5)
            VALUES (\(bind: productID), \(bind: storeID), 0, 0, 0, 0, 0)
            """).run()
    }

    static func add(_ rating: Rating, productID: UUID, on sql: any SQLDatabase) async throws {
        try await change(rating, by: 1, productID: productID, on: sql)
    }

    static func remove(_ rating: Rating, productID: UUID, on sql: any SQLDatabase) async throws {
        try await change(rating, by: -1, productID: productID, on: sql)
    }

    private static func change(_ rating: Rating, by delta: Int, productID: UUID, on sql: any SQLDatabase) async throws {
        let column = "stars_\(rating.stars)"
        try await sql.raw("""
            UPDATE product_rating_summaries SET \(ident: column) = \(ident: column) + \(bind: delta)
            WHERE product_id = \(bind: productID)
            """).run()
    }

    public static func summary(for productID: UUID, on db: any Database) async throws -> RatingSummary {
        try await ProductRatingSummary.find(productID, on: db)?.summary ?? RatingSummary()
    }
}

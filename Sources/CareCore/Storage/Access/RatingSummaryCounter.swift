import FluentKit
import Foundation
import SQLKit

/// Keeps `product_rating_summaries` in step with published reviews. Updates are single SQL
/// increments, so two transactions on PostgreSQL never overwrite each other's counts.
public enum RatingSummaryCounter {
    public static func createRow(for productID: UUID, storeID: UUID, on db: any Database) async throws {
        try await ProductRatingSummary(productID: productID, storeID: storeID).create(on: db)
    }

    public static func add(_ rating: Rating, productID: UUID, on db: any Database) async throws {
        try await change(rating, by: 1, productID: productID, on: db)
    }

    public static func remove(_ rating: Rating, productID: UUID, on db: any Database) async throws {
        try await change(rating, by: -1, productID: productID, on: db)
    }

    private static func change(_ rating: Rating, by delta: Int, productID: UUID, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { fatalError("CareLoop runs on SQL databases only") }
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

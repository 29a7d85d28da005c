import FluentKit
import Foundation
import SQLKit

/// Keeps `product_rating_summaries` in step with published reviews. Updates are single SQL
/// increments, so two transactions on PostgreSQL never overwrite each other's counts.
public enum RatingSummaryCounter {
    static func createRow(for productID: UUID, storeID: UUID, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO product_rating_summaries (product_id, store_id, stars_1, stars_2, stars_3, stars_4, stars_5)
            VALUES (\(bind: productID), \(bind: storeID), 0, 0, 0, 0, 0)
            """
        ).run()
    }

    /// Counts a review that became published: in its product's summary, and on the day it was written.
    static func add(_ rating: Rating, productID: UUID, storeID: UUID, writtenAt: Date, on sql: any SQLDatabase) async throws {
        try await change(rating, by: 1, productID: productID, storeID: storeID, writtenAt: writtenAt, on: sql)
    }

    static func remove(_ rating: Rating, productID: UUID, storeID: UUID, writtenAt: Date, on sql: any SQLDatabase) async throws {
        try await change(rating, by: -1, productID: productID, storeID: storeID, writtenAt: writtenAt, on: sql)
    }

    private static func change(
        _ rating: Rating, by delta: Int, productID: UUID, storeID: UUID, writtenAt: Date,
        on sql: any SQLDatabase
    ) async throws {
        let column = "stars_\(rating.stars)"
        try await sql.raw(
            """
            UPDATE product_rating_summaries SET \(ident: column) = \(ident: column) + \(bind: delta)
            WHERE product_id = \(bind: productID)
            """
        ).run()
        try await addDay(day(writtenAt), published: delta, stars: delta * rating.stars, storeID: storeID, on: sql)
    }

    /// Counts many published reviews of one product at once (an import's batch): `counts[i]` of i+1 stars.
    static func add(counts: [Int], productID: UUID, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE product_rating_summaries SET stars_1 = stars_1 + \(bind: counts[0]), stars_2 = stars_2 + \(bind: counts[1]),
              stars_3 = stars_3 + \(bind: counts[2]), stars_4 = stars_4 + \(bind: counts[3]), stars_5 = stars_5 + \(bind: counts[4])
            WHERE product_id = \(bind: productID)
            """
        ).run()
    }

    /// Counts published reviews written on one day (`day` as from `day(_:)`).
    static func addDay(_ day: Int, published: Int, stars: Int, storeID: UUID, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO store_daily_reviews (store_id, day, published, stars)
            VALUES (\(bind: storeID), \(bind: day), \(bind: published), \(bind: stars))
            ON CONFLICT (store_id, day) DO UPDATE SET published = store_daily_reviews.published + excluded.published,
                stars = store_daily_reviews.stars + excluded.stars
            """
        ).run()
    }

    /// Days since 1970-01-01, UTC: the key of `store_daily_reviews`.
    public static func day(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) }

    public static func summary(for productID: UUID, on db: any Database) async throws -> RatingSummary {
        // Read on every public list and widget load: plain SQL, no model reflection.
        let row = try await db.sql.raw(
            "SELECT stars_1, stars_2, stars_3, stars_4, stars_5 FROM product_rating_summaries WHERE product_id = \(bind: productID)"
        ).first()
        guard let row else { return RatingSummary() }
        return RatingSummary(stars: try (1...5).map { try row.decode(column: "stars_\($0)", as: Int.self) })
    }
}

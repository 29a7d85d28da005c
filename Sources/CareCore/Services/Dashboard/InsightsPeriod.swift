import FluentKit
import Foundation
import SQLKit

/// A store's figures over a range of days, to set beside the same number of days before it: reviews
/// published and their average (from the running per-day counts), conversations opened, reply
/// targets met and breached. Each is one indexed range read, so a year costs little more than a week.
public enum InsightsPeriod {
    public struct Figures: Sendable, Equatable {
        public var published = 0
        public var stars = 0
        public var conversations = 0
        public var targetsMet = 0
        public var targetsBreached = 0

        public var average: Double? { published > 0 ? Double(stars) / Double(published) : nil }
        /// Share of settled reply targets that were met, 0–1.
        public var metShare: Double? { targetsMet + targetsBreached > 0 ? Double(targetsMet) / Double(targetsMet + targetsBreached) : nil }
    }

    /// Ranges longer than this are refused (a chart of more than a year says little a year does not).
    public static let maxDays = 366

    /// Figures for the days `firstDay ..< endDay` (days since 1970, UTC, as `RatingSummaryCounter.day`).
    public static func figures(storeID: UUID, firstDay: Int, endDay: Int, on db: any Database) async throws -> Figures {
        let sql = db.sql
        var f = Figures()
        let from = Date(timeIntervalSince1970: Double(firstDay) * 86_400)
        let to = Date(timeIntervalSince1970: Double(endDay) * 86_400)
        if let row = try await sql.raw(
            """
            SELECT CAST(COALESCE(SUM(published), 0) AS BIGINT) AS n, CAST(COALESCE(SUM(stars), 0) AS BIGINT) AS s FROM store_daily_reviews
            WHERE store_id = \(bind: storeID) AND day >= \(bind: firstDay) AND day < \(bind: endDay)
            """
        ).first() {
            f.published = try row.decode(column: "n", as: Int.self)
            f.stars = try row.decode(column: "s", as: Int.self)
        }
        f.conversations =
            try await sql.raw(
                """
                SELECT COUNT(*) AS n FROM conversations WHERE store_id = \(bind: storeID) AND created_at >= \(bind: from) AND created_at < \(bind: to)
                """
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        if let row = try await sql.raw(
            """
            SELECT CAST(COALESCE(SUM(CASE WHEN met THEN 1 ELSE 0 END), 0) AS BIGINT) AS met, COUNT(*) AS n FROM sla_results
            WHERE store_id = \(bind: storeID) AND settled_at >= \(bind: from) AND settled_at < \(bind: to)
            """
        ).first() {
            f.targetsMet = try row.decode(column: "met", as: Int.self)
            f.targetsBreached = try row.decode(column: "n", as: Int.self) - f.targetsMet
        }
        return f
    }
}

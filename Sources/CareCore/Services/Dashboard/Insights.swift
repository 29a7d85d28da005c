import FluentKit
import Foundation
import SQLKit

/// Whether care works, in figures: ratings over time, the distribution, how many unhappy reviewers
/// a person reached within the SLA, response and resolution times, recovery, and the products that
/// draw the most complaints. Each figure is one bounded query; nothing scans every review in Swift.
public enum Insights {
    public struct Week: Sendable {
        public let start: Date
        public let count: Int
        public let average: Double?
    }

    public struct ProductComplaints: Sendable {
        public let name: String
        public let externalID: String
        public let complaints: Int
    }

    public struct Report: Sendable {
        public let weeks: [Week]
        /// Published reviews by stars, 1 to 5.
        public let distribution: [Int]
        public let unhappyWithSLA: Int
        public let unhappyReachedInSLA: Int
        public let medianFirstResponse: TimeInterval?
        public let medianResolution: TimeInterval?
        public let recovery: Recovery.Report
        public let topComplaints: [ProductComplaints]
    }

    public static let weeksShown = 12
    /// Response times, resolution times and complaints count over this window.
    public static let window: TimeInterval = 90 * 86_400

    public static func report(storeID: UUID, now: Date, on db: any Database) async throws -> Report {
        guard let sql = db as? any SQLDatabase else { fatalError("CareLoop runs on SQL databases only") }
        let postgres = sql.dialect.name == "postgresql"
        // Twelve weeks ending today, from the running per-day counts (never a scan of the reviews).
        let today = RatingSummaryCounter.day(now)
        let firstDay = today - weeksShown * 7 + 1
        var counts = [Int](repeating: 0, count: weeksShown), sums = [Int](repeating: 0, count: weeksShown)
        for row in try await sql.raw("""
            SELECT day, published, stars FROM store_daily_reviews WHERE store_id = \(bind: storeID) AND day >= \(bind: firstDay)
            """).all() {
            let w = (try row.decode(column: "day", as: Int.self) - firstDay) / 7
            guard (0..<weeksShown).contains(w) else { continue }
            counts[w] += try row.decode(column: "published", as: Int.self)
            sums[w] += try row.decode(column: "stars", as: Int.self)
        }
        let weeks = (0..<weeksShown).map { w in
            Week(start: Date(timeIntervalSince1970: Double(firstDay + w * 7) * 86_400), count: counts[w],
                 average: counts[w] > 0 ? Double(sums[w]) / Double(counts[w]) : nil)
        }

        let dist = try await sql.raw("""
            SELECT CAST(COALESCE(SUM(stars_1), 0) AS BIGINT) AS s1, CAST(COALESCE(SUM(stars_2), 0) AS BIGINT) AS s2,
                   CAST(COALESCE(SUM(stars_3), 0) AS BIGINT) AS s3, CAST(COALESCE(SUM(stars_4), 0) AS BIGINT) AS s4,
                   CAST(COALESCE(SUM(stars_5), 0) AS BIGINT) AS s5
            FROM product_rating_summaries WHERE store_id = \(bind: storeID)
            """).first()
        let distribution = try (1...5).map { try dist?.decode(column: "s\($0)", as: Int.self) ?? 0 }

        let windowStart = now.addingTimeInterval(-window)
        // Unhappy reviewers with an SLA, and how many a person answered before it ran out.
        let sla = try await sql.raw("""
            SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN c.first_response_at IS NOT NULL AND c.first_response_at <= c.sla_due_at THEN 1 ELSE 0 END), 0) AS ok
            FROM conversations c JOIN reviews r ON r.id = c.review_id
            WHERE c.store_id = \(bind: storeID) AND c.sla_due_at IS NOT NULL AND c.created_at >= \(bind: windowStart)
              AND COALESCE(r.original_rating, r.rating) <= 2
            """).first()

        let inWindow: SQLQueryString = "store_id = \(bind: storeID) AND created_at >= \(bind: windowStart)"
        let firstResponse = try await median(postgres ? "EXTRACT(EPOCH FROM (first_response_at - created_at))" : "first_response_at - created_at",
                                             where: "\(inWindow) AND first_response_at IS NOT NULL", on: sql)
        let resolution = try await median(postgres ? "EXTRACT(EPOCH FROM (resolved_at - created_at))" : "resolved_at - created_at",
                                          where: "\(inWindow) AND resolved_at IS NOT NULL", on: sql)

        let top = try await sql.raw("""
            SELECT p.name, p.external_id, COUNT(*) AS n FROM reviews r JOIN products p ON p.id = r.product_id
            WHERE r.store_id = \(bind: storeID) AND r.rating <= 2 AND r.created_at >= \(bind: windowStart)
            GROUP BY p.id, p.name, p.external_id ORDER BY n DESC, p.name LIMIT 10
            """).all().map {
            ProductComplaints(name: try $0.decode(column: "name", as: String.self), externalID: try $0.decode(column: "external_id", as: String.self),
                              complaints: try $0.decode(column: "n", as: Int.self))
        }

        return Report(weeks: weeks, distribution: distribution,
                      unhappyWithSLA: try sla?.decode(column: "n", as: Int.self) ?? 0, unhappyReachedInSLA: try sla?.decode(column: "ok", as: Int.self) ?? 0,
                      medianFirstResponse: firstResponse, medianResolution: resolution,
                      recovery: try await Recovery.report(storeID: storeID, limit: 10, on: db), topComplaints: top)
    }

    /// The median of `expression` (seconds) over the store's conversations matching `filter`, by the
    /// database: the middle one or two values, without sending the rest anywhere.
    static func median(_ expression: SQLQueryString, where filter: SQLQueryString, on sql: any SQLDatabase) async throws -> Double? {
        let n = try await sql.raw("SELECT COUNT(*) AS n FROM conversations WHERE \(filter)").first()?.decode(column: "n", as: Int.self) ?? 0
        guard n > 0 else { return nil }
        let middle = try await sql.raw("""
            SELECT CAST(\(expression) AS DOUBLE PRECISION) AS d FROM conversations WHERE \(filter)
            ORDER BY d LIMIT \(bind: n % 2 == 1 ? 1 : 2) OFFSET \(bind: (n - 1) / 2)
            """).all().map { try $0.decode(column: "d", as: Double.self) }
        return middle.isEmpty ? nil : middle.reduce(0, +) / Double(middle.count)
    }
}

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
        func epoch(_ column: String) -> SQLQueryString { postgres ? "EXTRACT(EPOCH FROM \(unsafeRaw: column))" : "\(unsafeRaw: column)" }
        // Weeks end today: the last bucket is the 7 days up to now.
        let firstWeek = now.addingTimeInterval(-Double(weeksShown) * 7 * 86_400)
        let since = firstWeek.timeIntervalSince1970
        // Whole weeks since `since` (never negative here): PostgreSQL's CAST rounds, SQLite's truncates and it has no FLOOR.
        let week: SQLQueryString = postgres
            ? "CAST(FLOOR((EXTRACT(EPOCH FROM created_at) - \(bind: since)) / 604800) AS INTEGER)"
            : "CAST((created_at - \(bind: since)) / 604800 AS INTEGER)"
        var counts = [Int](repeating: 0, count: weeksShown), sums = [Double](repeating: 0, count: weeksShown)
        for row in try await sql.raw("""
            SELECT \(week) AS week, COUNT(*) AS n, CAST(SUM(rating) AS BIGINT) AS stars
            FROM reviews WHERE store_id = \(bind: storeID) AND status = 'published' AND created_at >= \(bind: firstWeek)
            GROUP BY 1
            """).all() {
            let w = try row.decode(column: "week", as: Int.self)
            guard (0..<weeksShown).contains(w) else { continue }
            counts[w] = try row.decode(column: "n", as: Int.self)
            sums[w] = Double(try row.decode(column: "stars", as: Int.self))
        }
        let weeks = (0..<weeksShown).map { w in
            Week(start: firstWeek.addingTimeInterval(Double(w) * 7 * 86_400), count: counts[w], average: counts[w] > 0 ? sums[w] / Double(counts[w]) : nil)
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
              AND COALESCE((SELECT e.previous_rating FROM review_edits e WHERE e.review_id = r.id ORDER BY e.edited_at LIMIT 1), r.rating) <= 2
            """).first()

        let times = try await sql.raw("""
            SELECT \(epoch("created_at")) AS opened, \(epoch("first_response_at")) AS answered, \(epoch("resolved_at")) AS resolved
            FROM conversations WHERE store_id = \(bind: storeID) AND created_at >= \(bind: windowStart)
            """).all()
        var responses: [Double] = [], resolutions: [Double] = []
        for row in times {
            let opened = try row.decode(column: "opened", as: Double.self)
            if let a = try row.decode(column: "answered", as: Double?.self) { responses.append(a - opened) }
            if let r = try row.decode(column: "resolved", as: Double?.self) { resolutions.append(r - opened) }
        }

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
                      medianFirstResponse: median(responses), medianResolution: median(resolutions),
                      recovery: try await Recovery.report(storeID: storeID, limit: 10, on: db), topComplaints: top)
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

import FluentKit
import Foundation
import SQLKit

/// Whether care works, in figures: ratings over time, the distribution, how many unhappy reviewers
/// a person reached within the SLA, response and resolution times, recovery, and the products that
/// draw the most complaints. Every query is bounded whatever the store's size: ratings come from the
/// running counts, and care figures from the store's latest `recentConversations` conversations.
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

    /// Reply targets settled in the period: met or breached, first reply and next reply, and the
    /// replies overdue right now (breached already, not yet settled).
    public struct ReplyTargetFigures: Sendable, Equatable {
        public var firstMet = 0
        public var firstBreached = 0
        public var nextMet = 0
        public var nextBreached = 0
        public var overdueNow = 0
        public var met: Int { firstMet + nextMet }
        public var breached: Int { firstBreached + nextBreached + overdueNow }
    }

    /// Days the reply-target figures look back.
    public static let replyTargetDays = 30

    public static func replyTargets(storeID: UUID, since: Date, now: Date, on sql: any SQLDatabase) async throws -> ReplyTargetFigures {
        var f = ReplyTargetFigures()
        for row in try await sql.raw(
            """
            SELECT target, met, COUNT(*) AS n FROM sla_results WHERE store_id = \(bind: storeID) AND settled_at >= \(bind: since)
            GROUP BY target, met
            """
        ).all() {
            let n = try row.decode(column: "n", as: Int.self)
            switch (try row.decode(column: "target", as: String.self), try row.decode(column: "met", as: Bool.self)) {
            case ("first", true): f.firstMet += n
            case ("first", false): f.firstBreached += n
            case (_, true): f.nextMet += n
            case (_, false): f.nextBreached += n
            }
        }
        f.overdueNow =
            try await sql.raw(
                """
                SELECT COUNT(*) AS n FROM conversations
                WHERE store_id = \(bind: storeID) AND status = 'open' AND sla_due_at IS NOT NULL AND sla_due_at < \(bind: now)
                """
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        return f
    }

    /// One person's share of the care: conversations assigned to them among the store's latest
    /// `recentConversations`, and their median time to a first reply.
    public struct AgentFigures: Sendable, Equatable {
        public let name: String
        public let handled: Int
        public let answered: Int
        public let medianFirstReply: TimeInterval?
    }

    public static func agents(storeID: UUID, on db: any Database) async throws -> [AgentFigures] {
        var byAgent: [String: (handled: Int, waits: [Double])] = [:]
        for row in try await db.sql.raw(
            """
            SELECT s.name, c.created_at, c.first_response_at
            FROM (SELECT * FROM conversations WHERE store_id = \(bind: storeID) ORDER BY created_at DESC LIMIT \(bind: recentConversations)) c
            JOIN staff_users s ON s.id = c.assignee_id
            """
        ).all() {
            let name = try row.decode(column: "name", as: String.self)
            var entry = byAgent[name] ?? (0, [])
            entry.handled += 1
            if let first = try row.decode(column: "first_response_at", as: Date?.self) {
                entry.waits.append(first.timeIntervalSince(try row.decode(column: "created_at", as: Date.self)))
            }
            byAgent[name] = entry
        }
        return byAgent.map { name, e in
            let sorted = e.waits.sorted()
            let median: Double? =
                sorted.isEmpty
                ? nil : sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            return AgentFigures(name: name, handled: e.handled, answered: e.waits.count, medianFirstReply: median)
        }.sorted { ($0.handled, $1.name) > ($1.handled, $0.name) }
    }

    public struct Report: Sendable {
        public let weeks: [Week]
        /// Published reviews by stars, 1 to 5.
        public let distribution: [Int]
        public let unhappyWithSLA: Int
        public let unhappyReachedInSLA: Int
        public let replyTargets: ReplyTargetFigures
        public let medianFirstResponse: TimeInterval?
        public let medianResolution: TimeInterval?
        public let recovery: Recovery.Report
        public let topComplaints: [ProductComplaints]
    }

    public static let weeksShown = 12
    /// Response and resolution times, reach within SLA and recovery are measured over this many of
    /// the store's latest conversations.
    public static let recentConversations = 1000

    public static func report(storeID: UUID, now: Date, on db: any Database) async throws -> Report {
        let sql = db.sql
        let postgres = sql.dialect.name == "postgresql"
        // Twelve weeks ending today, from the running per-day counts (never a scan of the reviews).
        let today = RatingSummaryCounter.day(now)
        let firstDay = today - weeksShown * 7 + 1
        var counts = [Int](repeating: 0, count: weeksShown)
        var sums = [Int](repeating: 0, count: weeksShown)
        for row in try await sql.raw(
            """
            SELECT day, published, stars FROM store_daily_reviews WHERE store_id = \(bind: storeID) AND day >= \(bind: firstDay)
            """
        ).all() {
            let w = (try row.decode(column: "day", as: Int.self) - firstDay) / 7
            guard (0..<weeksShown).contains(w) else { continue }
            counts[w] += try row.decode(column: "published", as: Int.self)
            sums[w] += try row.decode(column: "stars", as: Int.self)
        }
        let weeks = (0..<weeksShown).map { w in
            Week(
                start: Date(timeIntervalSince1970: Double(firstDay + w * 7) * 86_400), count: counts[w],
                average: counts[w] > 0 ? Double(sums[w]) / Double(counts[w]) : nil)
        }

        let dist = try await sql.raw(
            """
            SELECT CAST(COALESCE(SUM(stars_1), 0) AS BIGINT) AS s1, CAST(COALESCE(SUM(stars_2), 0) AS BIGINT) AS s2,
                   CAST(COALESCE(SUM(stars_3), 0) AS BIGINT) AS s3, CAST(COALESCE(SUM(stars_4), 0) AS BIGINT) AS s4,
                   CAST(COALESCE(SUM(stars_5), 0) AS BIGINT) AS s5
            FROM product_rating_summaries WHERE store_id = \(bind: storeID)
            """
        ).first()
        let distribution = try (1...5).map { try dist?.decode(column: "s\($0)", as: Int.self) ?? 0 }

        // The store's latest conversations, walked newest first on (store_id, created_at).
        let recent: SQLQueryString = """
            (SELECT * FROM conversations WHERE store_id = \(bind: storeID) ORDER BY created_at DESC LIMIT \(bind: recentConversations)) c
            """
        // Unhappy reviewers whose first reply had a target, and how many a person answered in time.
        let sla = try await sql.raw(
            """
            SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN x.met THEN 1 ELSE 0 END), 0) AS ok
            FROM sla_results x JOIN \(recent) ON c.id = x.conversation_id JOIN reviews r ON r.id = c.review_id
            WHERE x.store_id = \(bind: storeID) AND x.target = 'first' AND COALESCE(r.original_rating, r.rating) <= 2
            """
        ).first()

        let firstResponse = try await median(
            postgres ? "EXTRACT(EPOCH FROM (first_response_at - created_at))" : "first_response_at - created_at",
            from: recent, where: "first_response_at IS NOT NULL", on: sql)
        let resolution = try await median(
            postgres ? "EXTRACT(EPOCH FROM (resolved_at - created_at))" : "resolved_at - created_at",
            from: recent, where: "resolved_at IS NOT NULL", on: sql)

        // Complaints per product from the running summaries: every published 1–2★ review.
        let top = try await sql.raw(
            """
            SELECT p.name, p.external_id, CAST(s.stars_1 + s.stars_2 AS BIGINT) AS n
            FROM product_rating_summaries s JOIN products p ON p.id = s.product_id
            WHERE s.store_id = \(bind: storeID) AND s.stars_1 + s.stars_2 > 0 ORDER BY n DESC, p.name LIMIT 10
            """
        ).all().map {
            ProductComplaints(
                name: try $0.decode(column: "name", as: String.self), externalID: try $0.decode(column: "external_id", as: String.self),
                complaints: try $0.decode(column: "n", as: Int.self))
        }

        return Report(
            weeks: weeks, distribution: distribution,
            unhappyWithSLA: try sla?.decode(column: "n", as: Int.self) ?? 0, unhappyReachedInSLA: try sla?.decode(column: "ok", as: Int.self) ?? 0,
            replyTargets: try await replyTargets(
                storeID: storeID, since: now.addingTimeInterval(-Double(replyTargetDays) * 86_400), now: now, on: sql),
            medianFirstResponse: firstResponse, medianResolution: resolution,
            recovery: try await Recovery.report(storeID: storeID, limit: 10, recent: recentConversations, on: db), topComplaints: top)
    }

    /// The median of `expression` (seconds) over the conversations `from` matching `filter`, by the
    /// database: the middle one or two values, without sending the rest anywhere.
    static func median(_ expression: SQLQueryString, from: SQLQueryString, where filter: SQLQueryString, on sql: any SQLDatabase) async throws
        -> Double?
    {
        let n = try await sql.raw("SELECT COUNT(*) AS n FROM \(from) WHERE \(filter)").first()?.decode(column: "n", as: Int.self) ?? 0
        guard n > 0 else { return nil }
        let middle = try await sql.raw(
            """
            SELECT CAST(\(expression) AS DOUBLE PRECISION) AS d FROM \(from) WHERE \(filter)
            ORDER BY d LIMIT \(bind: n % 2 == 1 ? 1 : 2) OFFSET \(bind: (n - 1) / 2)
            """
        ).all().map { try $0.decode(column: "d", as: Double.self) }
        return middle.isEmpty ? nil : middle.reduce(0, +) / Double(middle.count)
    }
}

import FluentKit
import Foundation
import SQLKit

/// Is asking working? Requests sent, forms opened and reviews written, week by week (by the week
/// the request went out), and what each customer got.
public enum RequestFunnel {
    public struct Week: Sendable {
        public let start: Date
        public let sent: Int
        public let opened: Int
        public let reviewed: Int
        public let unsubscribed: Int
        /// Request mails that failed for good (a permanent bounce) in the week.
        public let bounced: Int
    }

    /// The last `weeks` weeks ending today, oldest first: one indexed count per week.
    public static func weekly(storeID: UUID, now: Date, weeks: Int = 12, on db: any Database) async throws -> [Week] {
        let sql = db.sql
        let day = 86_400.0
        let endOfToday = (now.timeIntervalSince1970 / day).rounded(.down) * day + day
        var out: [Week] = []
        for w in (0..<max(1, min(weeks, 52))).reversed() {
            let start = Date(timeIntervalSince1970: endOfToday - Double(w + 1) * 7 * day)
            let end = start.addingTimeInterval(7 * day)
            let row = try await sql.raw(
                """
                SELECT COUNT(*) AS sent, COUNT(form_opened_at) AS opened, COUNT(reviewed_at) AS reviewed,
                COALESCE(SUM(CASE WHEN stopped_reason = \(bind: "unsubscribed") THEN 1 ELSE 0 END), 0) AS unsubscribed
                FROM review_requests WHERE store_id = \(bind: storeID) AND first_sent_at >= \(bind: start) AND first_sent_at < \(bind: end)
                """
            ).first()
            let bounced = try await sql.raw(
                """
                SELECT COUNT(*) AS n FROM mail_bounces WHERE store_id = \(bind: storeID) AND mail_kind = \(bind: "request")
                AND permanent = \(bind: true) AND created_at >= \(bind: start) AND created_at < \(bind: end)
                """
            ).first()?.decode(column: "n", as: Int.self)
            out.append(
                Week(
                    start: start, sent: try row?.decode(column: "sent", as: Int.self) ?? 0,
                    opened: try row?.decode(column: "opened", as: Int.self) ?? 0,
                    reviewed: try row?.decode(column: "reviewed", as: Int.self) ?? 0,
                    unsubscribed: try row?.decode(column: "unsubscribed", as: Int.self) ?? 0, bounced: bounced ?? 0))
        }
        return out
    }

    /// A customer's requests for the profile: newest first, with the order each asked about.
    public struct Entry: Sendable {
        public let request: ReviewRequest
        public let orderExternalID: String
    }

    public static func forCustomer(_ customerID: UUID, storeID: UUID, on db: any Database) async throws -> (entries: [Entry], unsubscribedAt: Date?) {
        let requests = try await ReviewRequests.forCustomer(customerID, storeID: storeID, on: db)
        var entries: [Entry] = []
        for r in requests {
            let order = try await db.sql.raw("SELECT external_id FROM orders WHERE id = \(bind: r.orderID)").first()
            entries.append(Entry(request: r, orderExternalID: try order?.decode(column: "external_id", as: String.self) ?? "—"))
        }
        let unsubscribed = try await db.sql.raw(
            "SELECT created_at FROM request_unsubscribes WHERE store_id = \(bind: storeID) AND customer_id = \(bind: customerID)"
        ).first()
        return (entries, try unsubscribed?.decode(column: "created_at", as: Date.self))
    }
}

import FluentKit
import Foundation
import SQLKit

/// The care team's inbox: one store's conversations in one status, mine / unassigned / all, the
/// most urgent SLA first, with what a row needs in one query, and the count of each status tab.
public enum Inbox {
    public enum Who: String, Sendable, CaseIterable {
        case mine, unassigned, all
    }

    public struct Row: Sendable {
        public let conversationID: UUID
        public let subject: String
        public let status: String
        public let priority: String
        public let customerID: UUID
        public let customerName: String?
        public let customerEmail: String
        public let stars: Int?
        public let firstLine: String
        public let assigneeName: String?
        public let slaDueAt: Date?
        public let slaTarget: String?
        public let createdAt: Date
    }

    public struct Page: Sendable {
        public let rows: [Row]
        public let counts: [String: Int]
        public let total: Int
    }

    public static let pageSize = 50

    public static func page(
        storeID: UUID, staffID: UUID, status: ConversationStatus, who: Who, page: Int,
        on db: any Database
    ) async throws -> Page {
        let sql = db.sql
        let whoFilter: SQLQueryString =
            switch who {
            case .mine: "AND c.assignee_id = \(bind: staffID)"
            case .unassigned: "AND c.assignee_id IS NULL"
            case .all: ""
            }
        // Two walks of an index in order, so only one page of rows is ever joined and sorted: those with
        // an SLA, soonest first; after them, those without one, newest first.
        let filter: SQLQueryString = "c.store_id = \(bind: storeID) AND c.status = \(bind: status.rawValue) \(whoFilter)"
        let offset = max(0, page - 1) * pageSize
        var rows = try await rowsOf(
            sql, "\(filter) AND c.sla_due_at IS NOT NULL ORDER BY c.sla_due_at LIMIT \(bind: pageSize) OFFSET \(bind: offset)")
        if rows.count < pageSize {
            let withSLA =
                try await sql.raw("SELECT COUNT(*) AS n FROM conversations c WHERE \(filter) AND c.sla_due_at IS NOT NULL")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            rows += try await rowsOf(
                sql,
                """
                \(filter) AND c.sla_due_at IS NULL ORDER BY c.created_at DESC
                LIMIT \(bind: pageSize - rows.count) OFFSET \(bind: max(0, offset - withSLA))
                """)
        }
        var counts: [String: Int] = [:]
        for row in try await sql.raw(
            """
            SELECT c.status, COUNT(*) AS n FROM conversations c WHERE c.store_id = \(bind: storeID) \(whoFilter) GROUP BY c.status
            """
        ).all() {
            counts[try row.decode(column: "status", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        return Page(rows: rows, counts: counts, total: counts[status.rawValue] ?? 0)
    }

    private static func rowsOf(_ sql: any SQLDatabase, _ whereOrderLimit: SQLQueryString) async throws -> [Row] {
        try await sql.raw(
            """
            SELECT c.id, c.subject, c.status, c.priority, c.sla_due_at, c.sla_target, c.created_at, cu.id AS customer_id, cu.email, cu.name,
                   r.rating, r.title, r.body, s.name AS assignee
            FROM conversations c JOIN customers cu ON cu.id = c.customer_id
            LEFT JOIN reviews r ON r.id = c.review_id LEFT JOIN staff_users s ON s.id = c.assignee_id
            WHERE \(whereOrderLimit)
            """
        ).all().map { row in
            let title = try row.decode(column: "title", as: String?.self)
            let body = try row.decode(column: "body", as: String?.self)
            let subject = try row.decode(column: "subject", as: String.self)
            return Row(
                conversationID: try row.decode(column: "id", as: UUID.self), subject: subject,
                status: try row.decode(column: "status", as: String.self), priority: try row.decode(column: "priority", as: String.self),
                customerID: try row.decode(column: "customer_id", as: UUID.self), customerName: try row.decode(column: "name", as: String?.self),
                customerEmail: try row.decode(column: "email", as: String.self), stars: try row.decode(column: "rating", as: Int?.self),
                firstLine: firstLine(title ?? body ?? subject), assigneeName: try row.decode(column: "assignee", as: String?.self),
                slaDueAt: try row.decode(column: "sla_due_at", as: Date?.self),
                slaTarget: try row.decode(column: "sla_target", as: String?.self), createdAt: try row.decode(column: "created_at", as: Date.self))
        }
    }

    /// The first line of a text, at most 120 characters.
    static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 120 ? String(line.prefix(119)) + "…" : line
    }
}

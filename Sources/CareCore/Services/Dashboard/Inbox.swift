import FluentKit
import Foundation
import SQLKit

/// The care team's inbox: one store's conversations in a view (a status, whose, a search, a tag, a
/// product, overdue only) in an order (most urgent reply first, latest activity, waiting longest),
/// with what a row needs in one query per page, and the count of each status tab.
public enum Inbox {
    public enum Who: String, Sendable, CaseIterable {
        case mine, unassigned, all
    }

    public enum Sort: String, Sendable, CaseIterable {
        /// The reply due soonest first; after them, those without a due reply, newest first.
        case sla
        /// Latest activity first.
        case newest
        /// Opened longest ago first.
        case oldest
    }

    /// What the agent is looking at: also what "next" means after sending or resolving.
    public struct View: Sendable, Hashable {
        public var status: ConversationStatus = .open
        public var who: Who = .all
        public var sort: Sort = .sla
        /// Words searched in the customer's name and address, the subject and the messages.
        public var search: String?
        public var tag: String?
        public var productID: UUID?
        /// Only conversations whose reply is overdue now.
        public var overdue = false

        public init() {}

        public static let maxSearch = 50
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
        /// The first line of the latest message to or from the customer (the review's when none yet).
        public let firstLine: String
        /// Who wrote last: `customer`, `staff` (a person) or `trigger` (a care trigger's message), nil before any message.
        public let lastAuthor: String?
        public let lastActivity: Date
        public let productName: String?
        public let tags: [String]
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

    /// `%`, `_` and the escape character itself are literal in a search.
    static func likePattern(_ words: String) -> String {
        var out = "%"
        for ch in words.lowercased() {
            if ch == "%" || ch == "_" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        return out + "%"
    }

    /// The view's conditions, except its status (the status tabs count the others) and its search
    /// (see `resolved`).
    static func conditions(storeID: UUID, staffID: UUID, view: View, now: Date) -> SQLQueryString {
        var q: SQLQueryString = "c.store_id = \(bind: storeID)"
        switch view.who {
        case .mine: q = "\(q) AND c.assignee_id = \(bind: staffID)"
        case .unassigned: q = "\(q) AND c.assignee_id IS NULL"
        case .all: break
        }
        if view.overdue { q = "\(q) AND c.sla_due_at IS NOT NULL AND c.sla_due_at < \(bind: now)" }
        if let tag = view.tag {
            // Tags are a JSON list of strings: match the quoted tag exactly.
            let quoted = String(decoding: (try? JSONEncoder().encode(tag)) ?? Data(), as: UTF8.self)
            q = "\(q) AND c.tags LIKE \(bind: likePattern(quoted)) ESCAPE '\\'"
        }
        if let productID = view.productID {
            q = "\(q) AND c.review_id IN (SELECT r2.id FROM reviews r2 WHERE r2.product_id = \(bind: productID) AND r2.store_id = \(bind: storeID))"
        }
        return q
    }

    /// What one search reads at most (see `conditions`).
    public static let searchedConversations = 500
    public static let searchedMessages = 5
    public static let searchedCharacters = 1_000

    /// Conversations a search may match at most: the page, its counts and "next" all read this set,
    /// so the search runs once per page, however many queries the page makes.
    public static let maxMatches = 1_000

    /// A view whose search is replaced by the ids it matches (found once, newest first, bounded).
    /// With `searches`, a fresh enough earlier result is used (`reuse`) and what is found is kept.
    static func resolved(
        storeID: UUID, staffID: UUID, view: View, now: Date, searches: InboxSearches? = nil, reuse: Bool = false, on sql: any SQLDatabase
    ) async throws -> (View, [UUID]?) {
        guard view.search != nil else { return (view, nil) }
        var plain = view
        plain.search = nil
        let key = InboxSearches.Key(store: storeID, staff: staffID, view: view)
        if reuse, let ids = searches?.ids(key, now: now) { return (plain, ids) }
        // A search's cost is bounded whatever the store holds (LIKE costs text length × pattern
        // length): the tab's latest `searchedConversations`, the first `searchedCharacters` of the
        // review and of each of the latest `searchedMessages` messages. The window drives the join, so
        // the tab's other conversations are never read.
        let p = likePattern(view.search ?? "")
        let n = String(searchedCharacters) // a constant: PostgreSQL's substr takes an integer, not a bigint bind
        // SQLite's LIKE already ignores ASCII case (and its LOWER knows no more than ASCII); PostgreSQL's does not.
        let postgres = sql.dialect.name == "postgresql"
        func lower(_ e: SQLQueryString) -> SQLQueryString { postgres ? "LOWER(\(e))" : e }
        let ids = try await sql.raw(
            """
            SELECT c.id FROM (SELECT c4.id FROM conversations c4 WHERE c4.store_id = \(bind: storeID) AND c4.status = \(bind: view.status.rawValue)
                ORDER BY c4.created_at DESC LIMIT \(bind: searchedConversations)) w
            JOIN conversations c ON c.id = w.id
            WHERE \(conditions(storeID: storeID, staffID: staffID, view: plain, now: now)) AND c.status = \(bind: view.status.rawValue)
            AND (\(lower("c.subject")) LIKE \(bind: p) ESCAPE '\\'
                OR EXISTS (SELECT 1 FROM customers cu2 WHERE cu2.id = c.customer_id
                    AND (\(lower("cu2.email")) LIKE \(bind: p) ESCAPE '\\' OR \(lower("COALESCE(cu2.name, '')")) LIKE \(bind: p) ESCAPE '\\'))
                OR EXISTS (SELECT 1 FROM reviews r3 WHERE r3.id = c.review_id
                    AND (\(lower("SUBSTR(COALESCE(r3.title, ''), 1, \(unsafeRaw: n))")) LIKE \(bind: p) ESCAPE '\\'
                      OR \(lower("SUBSTR(COALESCE(r3.body, ''), 1, \(unsafeRaw: n))")) LIKE \(bind: p) ESCAPE '\\'))
                OR EXISTS (SELECT 1 FROM conversation_messages m3 WHERE m3.id IN (
                        SELECT m5.id FROM conversation_messages m5 WHERE m5.conversation_id = c.id AND m5.author <> 'system'
                        ORDER BY m5.created_at DESC LIMIT \(bind: searchedMessages))
                    AND \(lower("SUBSTR(m3.body, 1, \(unsafeRaw: n))")) LIKE \(bind: p) ESCAPE '\\'))
            ORDER BY c.created_at DESC LIMIT \(bind: maxMatches)
            """
        ).all().map { try $0.decode(column: "id", as: UUID.self) }
        searches?.put(ids, for: key, now: now)
        return (plain, ids)
    }

    static func matching(_ base: SQLQueryString, _ ids: [UUID]?) -> SQLQueryString {
        guard let ids, ids.isEmpty else { return base }
        return "\(base) AND 1 = 0"
    }

    /// Where a view's rows come from: the store's conversations, or, for a search, only those it
    /// matched, read by their ids first. Left to itself SQLite walks the store's whole tab and checks
    /// each row against the list (12–28 ms at 10 000 conversations); in this order it reads the
    /// matches alone. (`CROSS JOIN` is SQLite's way to fix the order; PostgreSQL plans this well.)
    static func source(_ ids: [UUID]?, on sql: any SQLDatabase) -> SQLQueryString {
        guard let ids, !ids.isEmpty else { return "conversations c" }
        let join: SQLQueryString = sql.dialect.name == "postgresql" ? "JOIN" : "CROSS JOIN"
        return "(SELECT x.id AS mid FROM conversations x WHERE x.id IN (\(binds: ids))) mm \(join) conversations c ON c.id = mm.mid"
    }

    public static func page(
        storeID: UUID, staffID: UUID, view searched: View, page: Int, now: Date, searches: InboxSearches? = nil, on db: any Database
    ) async throws -> Page {
        let sql = db.sql
        let (view, matches) = try await resolved(storeID: storeID, staffID: staffID, view: searched, now: now, searches: searches, on: sql)
        let base = matching(conditions(storeID: storeID, staffID: staffID, view: view, now: now), matches)
        let from = source(matches, on: sql)
        let filter: SQLQueryString = "\(base) AND c.status = \(bind: view.status.rawValue)"
        let offset = max(0, page - 1) * pageSize
        var rows: [Row]
        switch view.sort {
        case .sla:
            // Two walks of an index in order, so only one page of rows is ever joined and sorted: those
            // with a due reply, soonest first; after them, those without one, newest first.
            rows = try await rowsOf(
                sql, from, "\(filter) AND c.sla_due_at IS NOT NULL ORDER BY c.sla_due_at LIMIT \(bind: pageSize) OFFSET \(bind: offset)")
            if rows.count < pageSize {
                let withSLA =
                    try await sql.raw("SELECT COUNT(*) AS n FROM \(from) WHERE \(filter) AND c.sla_due_at IS NOT NULL")
                    .first()?.decode(column: "n", as: Int.self) ?? 0
                rows += try await rowsOf(
                    sql, from,
                    """
                    \(filter) AND c.sla_due_at IS NULL ORDER BY c.created_at DESC
                    LIMIT \(bind: pageSize - rows.count) OFFSET \(bind: max(0, offset - withSLA))
                    """)
            }
        case .newest:
            rows = try await rowsOf(sql, from, "\(filter) ORDER BY c.updated_at DESC, c.id LIMIT \(bind: pageSize) OFFSET \(bind: offset)")
        case .oldest:
            rows = try await rowsOf(sql, from, "\(filter) ORDER BY c.created_at ASC, c.id LIMIT \(bind: pageSize) OFFSET \(bind: offset)")
        }
        var counts: [String: Int] = [:]
        if view.who == .all, !view.overdue, view.tag == nil, view.productID == nil, matches == nil {
            counts = try await Tallies.conversations(storeID: storeID, on: sql) // the store's whole tabs: tallied
        } else {
            for row in try await sql.raw("SELECT c.status, COUNT(*) AS n FROM \(from) WHERE \(base) GROUP BY c.status").all() {
                counts[try row.decode(column: "status", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
        }
        return Page(rows: rows, counts: counts, total: counts[view.status.rawValue] ?? 0)
    }

    /// How many conversations a view holds (in its status), counted up to `atMost + 1`: the inbox's
    /// ready-made views say "1000+" rather than count a big store's every open conversation per page.
    public static func count(
        storeID: UUID, staffID: UUID, view searched: View, now: Date, atMost: Int = 1_000, searches: InboxSearches? = nil,
        on db: any Database
    ) async throws -> Int {
        let (view, matches) = try await resolved(
            storeID: storeID, staffID: staffID, view: searched, now: now, searches: searches, reuse: true, on: db.sql)
        let filter: SQLQueryString =
            "\(matching(conditions(storeID: storeID, staffID: staffID, view: view, now: now), matches)) AND c.status = \(bind: view.status.rawValue)"
        return try await db.sql.raw(
            "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM \(source(matches, on: db.sql)) WHERE \(filter) LIMIT \(bind: max(0, atMost) + 1)) counted"
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// A count as a tab shows it: "1000+" past what was counted.
    public static func shown(_ n: Int, atMost: Int = 1_000) -> String { n > atMost ? "\(atMost)+" : String(n) }

    /// The conversations of a view in its order, ids only, up to `limit`: previous / next, and what
    /// opens after sending or resolving.
    /// A search is taken from `searches` when it ran there lately (the inbox page that led here).
    public static func ids(
        storeID: UUID, staffID: UUID, view searched: View, now: Date, limit: Int = 200, searches: InboxSearches? = nil, on db: any Database
    ) async throws -> [UUID] {
        let sql = db.sql
        let (view, matches) = try await resolved(
            storeID: storeID, staffID: staffID, view: searched, now: now, searches: searches, reuse: true, on: sql)
        let filter: SQLQueryString =
            "\(matching(conditions(storeID: storeID, staffID: staffID, view: view, now: now), matches)) AND c.status = \(bind: view.status.rawValue)"
        let limit = min(max(limit, 1), 500)
        func walk(_ rest: SQLQueryString, _ n: Int) async throws -> [UUID] {
            try await sql.raw("SELECT c.id FROM \(source(matches, on: sql)) WHERE \(filter) \(rest) LIMIT \(bind: n)").all()
                .map { try $0.decode(column: "id", as: UUID.self) }
        }
        switch view.sort {
        case .sla:
            // The inbox's two index walks: due replies soonest first, then the rest newest first.
            var ids = try await walk("AND c.sla_due_at IS NOT NULL ORDER BY c.sla_due_at", limit)
            if ids.count < limit { ids += try await walk("AND c.sla_due_at IS NULL ORDER BY c.created_at DESC", limit - ids.count) }
            return ids
        case .newest: return try await walk("ORDER BY c.updated_at DESC, c.id", limit)
        case .oldest: return try await walk("ORDER BY c.created_at ASC, c.id", limit)
        }
    }

    private static func rowsOf(_ sql: any SQLDatabase, _ from: SQLQueryString, _ whereOrderLimit: SQLQueryString) async throws -> [Row] {
        // The latest message to or from the customer, found per row through messages_by_conversation.
        try await sql.raw(
            """
            SELECT c.id, c.subject, c.status, c.priority, c.sla_due_at, c.sla_target, c.created_at, c.updated_at, c.tags,
                   cu.id AS customer_id, cu.email, cu.name, r.rating, r.title, r.body, p.name AS product_name, s.name AS assignee,
                   m.author AS last_author, m.staff_id AS last_staff, m.body AS last_body, m.created_at AS last_at
            FROM \(from) JOIN customers cu ON cu.id = c.customer_id
            LEFT JOIN reviews r ON r.id = c.review_id LEFT JOIN products p ON p.id = r.product_id
            LEFT JOIN staff_users s ON s.id = c.assignee_id
            LEFT JOIN conversation_messages m ON m.id = (
                SELECT m2.id FROM conversation_messages m2 WHERE m2.conversation_id = c.id AND m2.author IN ('customer', 'staff')
                ORDER BY m2.created_at DESC LIMIT 1)
            WHERE \(whereOrderLimit)
            """
        ).all().map { row in
            let title = try row.decode(column: "title", as: String?.self)
            let body = try row.decode(column: "body", as: String?.self)
            let subject = try row.decode(column: "subject", as: String.self)
            let lastBody = try row.decode(column: "last_body", as: String?.self)
            let updated = try row.decode(column: "updated_at", as: Date.self)
            let tagsJSON = try row.decode(column: "tags", as: String.self)
            let lastAuthor = try row.decode(column: "last_author", as: String?.self).map { author in
                author == "staff" && (try? row.decode(column: "last_staff", as: UUID?.self)) == nil ? "trigger" : author
            }
            // Only the care trigger has written: the row tells what the customer said (their review).
            let review = [title, body].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: " — ")
            let preview = lastAuthor == "trigger" && !review.isEmpty ? review : (lastBody ?? title ?? body ?? subject)
            return Row(
                conversationID: try row.decode(column: "id", as: UUID.self), subject: subject,
                status: try row.decode(column: "status", as: String.self), priority: try row.decode(column: "priority", as: String.self),
                customerID: try row.decode(column: "customer_id", as: UUID.self), customerName: try row.decode(column: "name", as: String?.self),
                customerEmail: try row.decode(column: "email", as: String.self), stars: try row.decode(column: "rating", as: Int?.self),
                firstLine: firstLine(preview), lastAuthor: lastAuthor,
                lastActivity: max(updated, try row.decode(column: "last_at", as: Date?.self) ?? updated),
                productName: try row.decode(column: "product_name", as: String?.self),
                tags: ConversationTags.read(tagsJSON),
                assigneeName: try row.decode(column: "assignee", as: String?.self),
                slaDueAt: try row.decode(column: "sla_due_at", as: Date?.self),
                slaTarget: try row.decode(column: "sla_target", as: String?.self), createdAt: try row.decode(column: "created_at", as: Date.self))
        }
    }

    /// The first non-empty line of a text, at most 120 characters (quoted email history is left out
    /// by the inbound mail path already).
    static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) }.map(String.init) ?? ""
        return line.count > 120 ? String(line.prefix(119)) + "…" : line
    }
}

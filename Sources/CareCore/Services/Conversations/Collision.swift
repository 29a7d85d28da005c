import FluentKit
import Foundation
import SQLKit

/// Two people answering one customer: who else has the conversation open, and what was written
/// since a page was loaded, so nobody sends a reply on a stale view without a warning.
public enum Collision {
    /// A teammate counts as "has it open" for this long after their page last checked in.
    public static let presence: TimeInterval = 60

    public struct Activity: Sendable, Equatable {
        /// Names of the teammates with the conversation open now.
        public var viewers: [String] = []
        /// Messages to or from the customer since the page was loaded, not written by the viewer.
        public var newMessages = 0
        /// Who wrote the latest of them (a teammate's name, or "The customer").
        public var lastBy: String?
    }

    /// Notes that `staffID` has the conversation open now, and forgets the store's check-ins older
    /// than a day (so the table holds at most a day of them).
    public static func checkIn(
        conversationID: UUID, storeID: UUID, staffID: UUID, storage: CareStorage, on db: any Database
    ) async throws {
        let now = storage.now()
        try await storage.write(on: db) { tx in
            try await tx.raw(
                """
                INSERT INTO conversation_viewers (store_id, conversation_id, staff_id, seen_at)
                SELECT store_id, id, \(bind: staffID), \(bind: now) FROM conversations WHERE id = \(bind: conversationID) AND store_id = \(bind: storeID)
                ON CONFLICT (conversation_id, staff_id) DO UPDATE SET seen_at = excluded.seen_at
                """
            ).run()
            try await tx.raw(
                "DELETE FROM conversation_viewers WHERE store_id = \(bind: storeID) AND seen_at < \(bind: now.addingTimeInterval(-86_400))"
            ).run()
        }
    }

    /// What happened around `staffID` on this conversation since `since` (nil: only who is viewing).
    public static func activity(
        conversationID: UUID, storeID: UUID, staffID: UUID, since: Date?, now: Date, on db: any Database
    ) async throws -> Activity {
        let sql = db.sql
        var a = Activity()
        a.viewers = try await sql.raw(
            """
            SELECT s.name FROM conversation_viewers v JOIN staff_users s ON s.id = v.staff_id
            WHERE v.conversation_id = \(bind: conversationID) AND v.store_id = \(bind: storeID) AND v.staff_id <> \(bind: staffID)
              AND v.seen_at >= \(bind: now.addingTimeInterval(-presence))
            ORDER BY s.name LIMIT 10
            """
        ).all().map { try $0.decode(column: "name", as: String.self) }
        guard let since else { return a }
        // A millisecond of slack: the page's time went through a Double and PostgreSQL's microseconds.
        let after = since.addingTimeInterval(0.001)
        let rows = try await sql.raw(
            """
            SELECT m.author, s.name FROM conversation_messages m LEFT JOIN staff_users s ON s.id = m.staff_id
            WHERE m.conversation_id = \(bind: conversationID) AND m.store_id = \(bind: storeID) AND m.created_at > \(bind: after)
              AND m.author IN ('customer', 'staff') AND (m.staff_id IS NULL OR m.staff_id <> \(bind: staffID))
            ORDER BY m.created_at DESC LIMIT 50
            """
        ).all()
        a.newMessages = rows.count
        if let latest = rows.first {
            let author = try latest.decode(column: "author", as: String.self)
            a.lastBy = author == "customer" ? "The customer" : (try latest.decode(column: "name", as: String?.self) ?? "A care trigger")
        }
        return a
    }
}

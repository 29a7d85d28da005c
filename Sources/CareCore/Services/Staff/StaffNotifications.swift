import FluentKit
import Foundation
import SQLKit

/// What a person at the store is told, and how: a line on their Notifications page (a count in the
/// navigation) and a mail, unless they stopped that kind of mail. Written in the same transaction
/// as what caused it; mailed through the outbox, threaded per conversation.
public enum NoticeKind: String, Sendable, CaseIterable {
    /// A new conversation they should take (assigned to them; the owner's while nobody is, for 1–2★).
    case newConversation = "new_conversation"
    /// The customer answered a conversation assigned to them.
    case customerReplied = "customer_replied"
    /// Somebody else assigned a conversation to them.
    case handoff

    public var label: String {
        switch self {
        case .newConversation: "A new conversation for me (for the owner: every new 1–2★ conversation nobody has taken)"
        case .customerReplied: "A customer answered a conversation assigned to me"
        case .handoff: "Somebody handed a conversation to me"
        }
    }
}

public enum StaffNotifications {
    public struct Notice: Sendable {
        public let id: UUID
        public let kind: NoticeKind
        public let text: String
        public let conversationID: UUID?
        public let createdAt: Date
        public let read: Bool
    }

    /// Unread notices of one kind a person is given at most in an hour (the inbox holds the rest).
    public static let unreadPerHour = 50

    /// Notice mails a person gets at most each clock hour (the rest are on the Notifications page).
    public static let mailsPerHour = 20

    /// How long an unread notice stands for later ones of its kind about the same conversation.
    static let quietSeconds: TimeInterval = 600

    /// Tells each of `staffIDs` once, in the caller's transaction.
    static func tell(
        _ staffIDs: [UUID], _ kind: NoticeKind, about c: Conversation, text: String, links: CareLinks, now: Date, on sql: any SQLDatabase
    ) async throws {
        var seen = Set<UUID>()
        for staffID in staffIDs where seen.insert(staffID).inserted {
            guard
                let row = try await sql.raw(
                    "SELECT email, notify_off FROM staff_users WHERE id = \(bind: staffID) AND store_id = \(bind: c.storeID)"
                ).first()
            else { continue }
            // A customer writing ten times in a minute is one notice (the latest words) and one mail,
            // until the person reads it or ten minutes pass.
            let recent = try await sql.raw(
                """
                SELECT id FROM staff_notifications
                WHERE staff_id = \(bind: staffID) AND conversation_id = \(bind: c.id!) AND kind = \(bind: kind.rawValue)
                  AND read_at IS NULL AND created_at > \(bind: now.addingTimeInterval(-Self.quietSeconds))
                ORDER BY created_at DESC LIMIT 1
                """
            ).first()?.decode(column: "id", as: UUID.self)
            if let recent {
                try await sql.raw("UPDATE staff_notifications SET text = \(bind: text) WHERE id = \(bind: recent)").run()
                continue
            }
            // A flood (thousands of low ratings in an hour) is not a thousand notices: past
            // `unreadPerHour` unread ones of a kind in the hour, the inbox is where the rest are.
            let unread =
                try await sql.raw(
                    """
                    SELECT COUNT(*) AS n FROM staff_notifications
                    WHERE staff_id = \(bind: staffID) AND read_at IS NULL AND created_at > \(bind: now.addingTimeInterval(-3600))
                      AND kind = \(bind: kind.rawValue)
                    """
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            guard unread < Self.unreadPerHour else { continue }
            try await sql.raw(
                """
                INSERT INTO staff_notifications (id, store_id, staff_id, conversation_id, kind, text, created_at)
                VALUES (\(bind: UUID()), \(bind: c.storeID), \(bind: staffID), \(bind: c.id!), \(bind: kind.rawValue), \(bind: text), \(bind: now))
                """
            ).run()
            let off = Set(try row.decode(column: "notify_off", as: String.self).split(separator: ",").map(String.init))
            guard !off.contains(kind.rawValue) else { continue }
            // A flood of low ratings is a page of notices, not a mailbox of mails: at most
            // `mailsPerHour` a person each clock hour, counted in the same statement that takes one.
            let hour = Int(now.timeIntervalSince1970 / 3600)
            let taken = try await sql.raw(
                """
                UPDATE staff_users SET notice_mails = CASE WHEN notice_hour = \(bind: hour) THEN notice_mails + 1 ELSE 1 END,
                    notice_hour = \(bind: hour)
                WHERE id = \(bind: staffID) AND (notice_hour <> \(bind: hour) OR notice_mails < \(bind: Self.mailsPerHour))
                RETURNING id
                """
            ).all()
            guard !taken.isEmpty else { continue }
            let store = try await sql.raw("SELECT name FROM stores WHERE id = \(bind: c.storeID)").first()?.decode(column: "name", as: String.self)
            let body = "\(text)\n\nOpen the conversation: \(links.publicURL)/app/conversations/\(c.id!.uuidString)"
            try await Outbox.enqueue(
                .teamNotice(
                    to: try row.decode(column: "email", as: String.self), subject: "[\(store ?? "CareLoop")] \(c.subject)", body: body,
                    conversationID: c.id, stop: links.notificationStop(staffID: staffID, kind: kind.rawValue)),
                storeID: c.storeID, now: now, on: sql)
        }
    }

    /// The store's owners, who hear of a new low-star conversation until somebody takes it.
    static func owners(storeID: UUID, on sql: any SQLDatabase) async throws -> [UUID] {
        try await sql.raw(
            "SELECT id FROM staff_users WHERE store_id = \(bind: storeID) AND role = \(bind: StaffRole.owner.rawValue) ORDER BY created_at"
        ).all().map { try $0.decode(column: "id", as: UUID.self) }
    }

    /// A conversation a trigger just opened: its assignee hears of it; while nobody has it, the owners
    /// do when it is about a 1–2★ review.
    static func conversationOpened(_ c: Conversation, subject s: CareSubject, links: CareLinks, now: Date, on sql: any SQLDatabase) async throws {
        let rating = s.review?.rating
        let who = s.customer.name ?? s.customer.email
        let text: String
        if let rating {
            let about = s.product.map { " for \($0.name)" } ?? ""
            text = "\(who) left \(rating)★\(about): a conversation is open (“\(c.subject)”)."
        } else {
            text = "\(who) started a conversation: “\(c.subject)”."
        }
        if let assignee = c.assigneeID {
            try await tell([assignee], .newConversation, about: c, text: text, links: links, now: now, on: sql)
        } else if let rating, rating <= 2 {
            try await tell(try await owners(storeID: c.storeID, on: sql), .newConversation, about: c, text: text, links: links, now: now, on: sql)
        }
    }

    public static func unread(staffID: UUID, on db: any Database) async throws -> Int {
        return try await db.sql.raw("SELECT COUNT(*) AS n FROM staff_notifications WHERE staff_id = \(bind: staffID) AND read_at IS NULL")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// The same, read outside a write (the pages).
    public static func list(staffID: UUID, limit: Int = 50, on db: any Database) async throws -> [Notice] {
        try await list(staffID: staffID, limit: limit, on: db.sql)
    }

    /// A person's latest notices, newest first.
    public static func list(staffID: UUID, limit: Int = 50, on sql: any SQLDatabase) async throws -> [Notice] {
        try await sql.raw(
            """
            SELECT id, kind, text, conversation_id, created_at, read_at FROM staff_notifications
            WHERE staff_id = \(bind: staffID) ORDER BY created_at DESC LIMIT \(bind: max(1, min(limit, 200)))
            """
        ).all().compactMap { r in
            guard let kind = NoticeKind(rawValue: try r.decode(column: "kind", as: String.self)) else { return nil }
            return Notice(
                id: try r.decode(column: "id", as: UUID.self), kind: kind, text: try r.decode(column: "text", as: String.self),
                conversationID: try r.decode(column: "conversation_id", as: UUID?.self), createdAt: try r.decode(column: "created_at", as: Date.self),
                read: try r.decode(column: "read_at", as: Date?.self) != nil)
        }
    }

    public static func markAllRead(staffID: UUID, storage: CareStorage, on db: any Database) async throws {
        let now = storage.now()
        try await storage.write(on: db) { sql in
            try await sql.raw("UPDATE staff_notifications SET read_at = \(bind: now) WHERE staff_id = \(bind: staffID) AND read_at IS NULL").run()
        }
    }

    /// The kinds this person gets no mail for.
    public static func mailOff(staffID: UUID, on db: any Database) async throws -> Set<NoticeKind> {
        let sql = db.sql
        let raw =
            try await sql.raw("SELECT notify_off FROM staff_users WHERE id = \(bind: staffID)").first()?
            .decode(column: "notify_off", as: String.self) ?? ""
        return Set(raw.split(separator: ",").compactMap { NoticeKind(rawValue: String($0)) })
    }

    /// Sets which kinds this person gets no mail for.
    public static func setMailOff(_ off: Set<NoticeKind>, staffID: UUID, storage: CareStorage, on db: any Database) async throws {
        let value = NoticeKind.allCases.filter(off.contains).map(\.rawValue).joined(separator: ",")
        try await storage.write(on: db) { sql in
            try await sql.raw("UPDATE staff_users SET notify_off = \(bind: value) WHERE id = \(bind: staffID)").run()
        }
    }

    /// A stop link was used: that kind's mail stops for that person (the others go on). Read and
    /// written in one transaction, so two links used at once both hold.
    public static func stop(_ kind: NoticeKind, staffID: UUID, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { sql in
            let lock: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
            let raw =
                try await sql.raw("SELECT notify_off FROM staff_users WHERE id = \(bind: staffID)\(lock)").first()?
                .decode(column: "notify_off", as: String.self) ?? ""
            var off = Set(raw.split(separator: ",").compactMap { NoticeKind(rawValue: String($0)) })
            off.insert(kind)
            let value = NoticeKind.allCases.filter(off.contains).map(\.rawValue).joined(separator: ",")
            try await sql.raw("UPDATE staff_users SET notify_off = \(bind: value) WHERE id = \(bind: staffID)").run()
        }
    }
}

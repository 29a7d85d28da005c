import FluentKit
import Foundation
import SQLKit

/// A person's action that emails a customer (a reply, a resolution). Everything it queues waits until
/// `until` (the undo window), its messages stay off the customer's page until then, and the mails it
/// queues go out in the order they were written (a reply before its resolution mail), whatever the
/// number of workers. Bound to the writes it makes with `UndoableAction.$current`.
public final class UndoableAction: @unchecked Sendable {
    public let id: UUID
    public let startedAt: Date
    public let until: Date
    /// Who acted: only they may undo it.
    public let staffID: UUID?
    private let lock = NSLock()
    private var lastEmail: UUID?

    public init(now: Date, window: TimeInterval, staffID: UUID? = nil) {
        id = UUID()
        self.staffID = staffID
        startedAt = now
        until = now.addingTimeInterval(max(0, window))
    }

    @TaskLocal static var current: UndoableAction?

    /// Runs `body` with this action's queueing rules.
    func binding<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        try await Self.$current.withValue(self) { try await body() }
    }

    /// The email queued just before this one in the same action, which must be delivered first.
    func chain(email id: UUID) -> UUID? {
        lock.withLock {
            defer { lastEmail = id }
            return lastEmail
        }
    }

    /// Whether the customer may see something it wrote yet.
    public var held: Date? { until > startedAt ? until : nil }
}

/// Undoing a reply or a resolution while its window runs.
public enum UndoActions {
    public struct Undone: Sendable {
        /// The reply that was taken back, for the reply box.
        public let draft: String?
        public let kind: String
    }

    /// What the conversation was before the action, to put back.
    struct Before: Codable {
        let status: String
        let slaDueAt: Date?
        let slaTarget: String?
        let firstResponseAt: Date?
        let lastStaffAt: Date?
        let assigneeID: UUID?
    }

    /// Records what `c` is now, before `action` changes it, in the caller's transaction.
    static func record(_ action: UndoableAction, kind: String, conversation c: Conversation, on sql: any SQLDatabase) async throws {
        let staffID = action.staffID
        guard action.until > action.startedAt else { return }
        let before = Before(
            status: c.status.rawValue, slaDueAt: c.slaDueAt, slaTarget: c.slaTarget, firstResponseAt: c.firstResponseAt,
            lastStaffAt: c.lastStaffAt, assigneeID: c.assigneeID)
        let json = String(decoding: try JSONEncoder().encode(before), as: UTF8.self)
        // A reply and its resolution are one action: the first record holds what the conversation was.
        try await sql.raw(
            """
            INSERT INTO undo_actions (id, store_id, conversation_id, staff_id, kind, before, started_at, until)
            SELECT \(bind: action.id), \(bind: c.storeID), \(bind: c.id!), \(bind: staffID), \(bind: kind), \(bind: json),
                \(bind: action.startedAt), \(bind: action.until)
            WHERE NOT EXISTS (SELECT 1 FROM undo_actions WHERE id = \(bind: action.id))
            """
        ).run()
        if kind == "resolve" {
            try await sql.raw("UPDATE undo_actions SET kind = \(bind: "send_resolve") WHERE id = \(bind: action.id) AND kind = 'send'").run()
        }
    }

    /// Takes back everything `actionID` wrote on this store's conversation, if its window still runs
    /// and none of its mail has been taken for delivery: the messages, the queued mails and webhooks,
    /// and the conversation's status and reply clock as they were.
    public static func undo(
        actionID: UUID, conversationID: UUID, storeID: UUID, staffID: UUID, storage: CareStorage, on db: any Database
    ) async throws -> Undone {
        try await storage.write(on: db) { sql in
            let now = storage.now()
            let lock: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
            guard
                let row = try await sql.raw(
                    """
                    SELECT kind, before, started_at, until FROM undo_actions
                    WHERE id = \(bind: actionID) AND store_id = \(bind: storeID) AND conversation_id = \(bind: conversationID)
                      AND staff_id = \(bind: staffID)\(lock)
                    """
                ).first()
            else { throw CareError.notFound("action to undo") }
            let until = try row.decode(column: "until", as: Date.self)
            let startedAt = try row.decode(column: "started_at", as: Date.self)
            let kind = try row.decode(column: "kind", as: String.self)
            let tooLate = CareError.tooLate(message: "too late to undo: the mail has gone to the customer")
            guard now < until else { throw tooLate }
            let jobs = try await sql.raw(
                """
                SELECT id, status, locked_until FROM outbox WHERE action_id = \(bind: actionID) AND store_id = \(bind: storeID)\(lock)
                """
            ).all()
            for j in jobs {
                let status = try j.decode(column: "status", as: String.self)
                let locked = try j.decode(column: "locked_until", as: Date?.self)
                guard status == OutboxStatus.pending.rawValue, locked.map({ $0 < now }) ?? true else { throw tooLate }
            }
            guard
                let c = try await ConversationThread.loadForChange(
                    on: sql, { $0.where("id", .equal, conversationID).where("store_id", .equal, storeID) })
            else { throw CareError.notFound("conversation") }
            // Only while nothing happened since: putting the conversation back would undo what came
            // after (a merge, another action, someone's message).
            let movedOn = CareError.movedOn(message: "the conversation changed since (a merge, a message or another action): nothing was undone")
            guard c.mergedIntoID == nil else { throw movedOn }
            let since = try await sql.raw(
                """
                SELECT
                  (SELECT COUNT(*) FROM undo_actions WHERE conversation_id = \(bind: conversationID) AND id <> \(bind: actionID)
                     AND started_at >= \(bind: startedAt)) AS actions,
                  (SELECT COUNT(*) FROM conversation_messages WHERE conversation_id = \(bind: conversationID) AND created_at >= \(bind: startedAt)
                     AND author <> \(bind: MessageAuthor.system.rawValue) AND (action_id IS NULL OR action_id <> \(bind: actionID))) AS messages
                """
            ).first()
            guard try since?.decode(column: "actions", as: Int.self) == 0, try since?.decode(column: "messages", as: Int.self) == 0 else {
                throw movedOn
            }
            let before = try JSONDecoder().decode(Before.self, from: Data(try row.decode(column: "before", as: String.self).utf8))
            let reply = try await sql.raw(
                """
                SELECT body FROM conversation_messages
                WHERE action_id = \(bind: actionID) AND conversation_id = \(bind: conversationID) AND author = \(bind: MessageAuthor.staff.rawValue)
                  AND staff_id IS NOT NULL
                ORDER BY created_at LIMIT 1
                """
            ).first()?.decode(column: "body", as: String.self)
            // Mails queued after the action's own wait for what the action's mails waited for.
            let taken = try await sql.raw(
                "SELECT id FROM outbox WHERE action_id = \(bind: actionID) AND store_id = \(bind: storeID) ORDER BY created_at"
            ).all().map { try $0.decode(column: "id", as: UUID.self) }
            for id in taken {
                try await sql.raw(
                    "UPDATE outbox SET follows = (SELECT d.follows FROM outbox AS d WHERE d.id = \(bind: id)) WHERE follows = \(bind: id)"
                ).run()
            }
            try await sql.raw("DELETE FROM outbox WHERE action_id = \(bind: actionID) AND store_id = \(bind: storeID)").run()
            try await OutboxQueue.releaseStranded(conversationID: conversationID, now: now, on: sql)
            try await sql.raw("DELETE FROM conversation_messages WHERE action_id = \(bind: actionID) AND store_id = \(bind: storeID)").run()
            // The reply-target results the action settled: the clock runs again as it did.
            try await sql.raw("DELETE FROM sla_results WHERE conversation_id = \(bind: conversationID) AND settled_at >= \(bind: startedAt)").run()
            try await sql.raw("DELETE FROM undo_actions WHERE id = \(bind: actionID)").run()
            c.status = ConversationStatus(rawValue: before.status) ?? .open
            c.slaDueAt = before.slaDueAt
            c.slaTarget = before.slaTarget
            c.firstResponseAt = before.firstResponseAt
            c.lastStaffAt = before.lastStaffAt
            // The assignee stays: a reply that took an unowned conversation leaves it with its taker.
            if c.status != .resolved {
                c.resolvedAt = nil
                c.resolutionNote = nil
            }
            c.updatedAt = now
            try await ConversationThread.update(c, on: sql)
            let what = kind == "send" ? "Reply" : kind == "resolve" ? "Resolution" : "Reply and resolution"
            try await ConversationThread.addMessage(.system, body: "\(what) undone before anything was sent.", staffID: nil, to: c, now: now, on: sql)
            return Undone(draft: reply, kind: kind)
        }
    }

    /// Whether an action can still be undone (for the undo bar), and what it did.
    public static func pending(actionID: UUID, storeID: UUID, now: Date, on db: any Database) async throws -> (
        kind: String, until: Date, conversationID: UUID
    )? {
        let sql = db.sql
        guard
            let row = try await sql.raw(
                "SELECT kind, until, conversation_id FROM undo_actions WHERE id = \(bind: actionID) AND store_id = \(bind: storeID)"
            ).first()
        else { return nil }
        let until = try row.decode(column: "until", as: Date.self)
        guard until > now else { return nil }
        return (try row.decode(column: "kind", as: String.self), until, try row.decode(column: "conversation_id", as: UUID.self))
    }

    /// Undo records whose window is long over.
    static func purge(before: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM undo_actions WHERE until < \(bind: before)").run()
    }
}

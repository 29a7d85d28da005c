import FluentKit
import Foundation
import SQLKit

/// Who changed what in a store: triggers, settings, API keys, webhooks, the team, moderation decisions,
/// customer exports and erasures. Rows are only ever added (no route or command edits or deletes one);
/// they go when the store goes. Details name things, never personal data.
public enum AuditLog {
    public struct Event: Sendable {
        public let at: Date
        public let actor: String
        public let action: String
        public let subject: String?
        public let detail: String?
    }

    /// Records one event in the caller's transaction.
    public static func record(
        storeID: UUID, actor: String, action: String, subject: String? = nil, detail: String? = nil,
        now: Date, on sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO audit_events (id, store_id, at, actor, action, subject, detail)
            VALUES (\(bind: UUID()), \(bind: storeID), \(bind: now), \(bind: String(actor.prefix(200))), \(bind: action),
                    \(bind: subject.map { String($0.prefix(200)) }), \(bind: detail.map { String($0.prefix(500)) }))
            """
        ).run()
    }

    /// Records one event in a transaction of its own (after an action that has its own).
    public static func record(
        storeID: UUID, actor: String, action: String, subject: String? = nil, detail: String? = nil,
        storage: CareStorage, on db: any Database
    ) async throws {
        let now = storage.now()
        try await storage.write(on: db) { sql in
            try await record(storeID: storeID, actor: actor, action: action, subject: subject, detail: detail, now: now, on: sql)
        }
    }

    /// The newest events first, at most `limit` (bounded: 500).
    public static func latest(storeID: UUID, limit: Int = 100, on db: any Database) async throws -> [Event] {
        let sql = db.sql
        return try await sql.raw(
            """
            SELECT at, actor, action, subject, detail FROM audit_events WHERE store_id = \(bind: storeID)
            ORDER BY at DESC LIMIT \(bind: min(max(limit, 1), 500))
            """
        ).all().map {
            Event(
                at: try $0.decode(column: "at", as: Date.self), actor: try $0.decode(column: "actor", as: String.self),
                action: try $0.decode(column: "action", as: String.self), subject: try $0.decode(column: "subject", as: String?.self),
                detail: try $0.decode(column: "detail", as: String?.self))
        }
    }
}

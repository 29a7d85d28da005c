import FluentKit
import Foundation
import SQLKit

/// The rows the care loop writes as a review comes in, through their `RowTable` descriptions.
enum CareRows {
    static func insert(_ c: Conversation, on sql: any SQLDatabase) async throws {
        try await sql.insert(c, into: Conversation.table)
    }

    /// Writes every changeable field of a conversation back.
    static func update(_ c: Conversation, on sql: any SQLDatabase) async throws {
        try await sql.update(c, in: Conversation.table)
    }

    static func insert(_ m: ConversationMessage, on sql: any SQLDatabase) async throws {
        try await sql.insert(m, into: ConversationMessage.table)
    }

    static func insert(_ j: OutboxJob, on sql: any SQLDatabase) async throws {
        try await sql.insert(j, into: OutboxJob.table)
    }

    /// Records that a trigger fired for a subject; false when it already had (the once-per-subject guard).
    static func recordFiring(triggerID: UUID, subjectID: UUID, storeID: UUID, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        let rows = try await sql.raw(
            """
            INSERT INTO trigger_firings (id, store_id, trigger_id, subject_id, fired_at)
            VALUES (\(bind: UUID()), \(bind: storeID), \(bind: triggerID), \(bind: subjectID), \(bind: now))
            ON CONFLICT (trigger_id, subject_id) DO NOTHING RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    /// The store's enabled triggers for an event, in order: (id, definition JSON).
    static func triggers(storeID: UUID, event: TriggerEvent, on sql: any SQLDatabase) async throws -> [(UUID, String)] {
        try await sql.raw(
            """
            SELECT id, definition FROM triggers
            WHERE store_id = \(bind: storeID) AND event = \(bind: event.rawValue) AND enabled = \(bind: true)
            ORDER BY position, created_at
            """
        ).all().map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "definition", as: String.self)) }
    }
}

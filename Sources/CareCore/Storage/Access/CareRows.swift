import FluentKit
import Foundation
import SQLKit

/// Explicit SQL for the rows the care loop writes as a review comes in (see `CatalogRows` for why).
enum CareRows {
    static func insert(_ c: Conversation, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO conversations (id, store_id, customer_id, review_id, subject, status, priority, assignee_id, tags,
                sla_due_at, first_response_at, resolved_at, resolution_note, token, last_customer_at, last_staff_at, created_at, updated_at)
            VALUES (\(bind: c.id!), \(bind: c.storeID), \(bind: c.customerID), \(bind: c.reviewID), \(bind: c.subject),
                \(bind: c.status.rawValue), \(bind: c.priority.rawValue), \(bind: c.assigneeID), \(bind: c.tagsJSON),
                \(bind: c.slaDueAt), \(bind: c.firstResponseAt), \(bind: c.resolvedAt), \(bind: c.resolutionNote), \(bind: c.token),
                \(bind: c.lastCustomerAt), \(bind: c.lastStaffAt), \(bind: c.createdAt), \(bind: c.updatedAt))
            """).run()
    }

    /// Writes every mutable field of a conversation back.
    static func update(_ c: Conversation, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE conversations SET status = \(bind: c.status.rawValue), priority = \(bind: c.priority.rawValue),
                assignee_id = \(bind: c.assigneeID), tags = \(bind: c.tagsJSON), sla_due_at = \(bind: c.slaDueAt),
                first_response_at = \(bind: c.firstResponseAt), resolved_at = \(bind: c.resolvedAt),
                resolution_note = \(bind: c.resolutionNote), last_customer_at = \(bind: c.lastCustomerAt),
                last_staff_at = \(bind: c.lastStaffAt), updated_at = \(bind: c.updatedAt)
            WHERE id = \(bind: c.id!)
            """).run()
    }

    static func insert(_ m: ConversationMessage, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO conversation_messages (id, store_id, conversation_id, author, staff_id, body, email_message_id, created_at)
            VALUES (\(bind: m.id!), \(bind: m.storeID), \(bind: m.conversationID), \(bind: m.author.rawValue), \(bind: m.staffID),
                \(bind: m.body), \(bind: m.emailMessageID), \(bind: m.createdAt))
            """).run()
    }

    static func insert(_ j: OutboxJob, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO outbox (id, store_id, kind, payload, status, attempts, next_attempt_at, locked_until, last_error, created_at, delivered_at)
            VALUES (\(bind: j.id!), \(bind: j.storeID), \(bind: j.kind.rawValue), \(bind: j.payload), \(bind: j.status.rawValue),
                \(bind: j.attempts), \(bind: j.nextAttemptAt), NULL, NULL, \(bind: j.createdAt), NULL)
            """).run()
    }

    /// Records that a trigger fired for a subject; false when it already had (the once-per-subject guard).
    static func recordFiring(triggerID: UUID, subjectID: UUID, storeID: UUID, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        let rows = try await sql.raw("""
            INSERT INTO trigger_firings (id, store_id, trigger_id, subject_id, fired_at)
            VALUES (\(bind: UUID()), \(bind: storeID), \(bind: triggerID), \(bind: subjectID), \(bind: now))
            ON CONFLICT (trigger_id, subject_id) DO NOTHING RETURNING id
            """).all()
        return !rows.isEmpty
    }

    /// The store's enabled triggers for an event, in order: (id, definition JSON).
    static func triggers(storeID: UUID, event: TriggerEvent, on sql: any SQLDatabase) async throws -> [(UUID, String)] {
        try await sql.raw("""
            SELECT id, definition FROM triggers
            WHERE store_id = \(bind: storeID) AND event = \(bind: event.rawValue) AND enabled = \(bind: true)
            ORDER BY position, created_at
            """).all().map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "definition", as: String.self)) }
    }
}

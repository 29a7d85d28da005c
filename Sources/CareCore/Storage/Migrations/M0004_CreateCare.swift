import FluentKit
import SQLKit

/// The care loop: triggers (and which subjects they already fired for), conversations and their
/// messages, and the outbox that carries every email and webhook.
public struct M0004_CreateCare: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("triggers")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("event", .string, .required)
            .field("enabled", .bool, .required)
            .field("position", .int, .required)
            .field("definition", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()

        try await db.schema("trigger_firings")
            .id()
            .field("store_id", .uuid, .required)
            .field("trigger_id", .uuid, .required, .references("triggers", "id", onDelete: .cascade))
            .field("subject_id", .uuid, .required)
            .field("fired_at", .datetime, .required)
            .unique(on: "trigger_id", "subject_id")
            .create()

        try await db.schema("conversations")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("customer_id", .uuid, .required, .references("customers", "id", onDelete: .cascade))
            .field("review_id", .uuid, .references("reviews", "id", onDelete: .setNull))
            .field("subject", .string, .required)
            .field("status", .string, .required)
            .field("priority", .string, .required)
            .field("assignee_id", .uuid, .references("staff_users", "id", onDelete: .setNull))
            .field("tags", .string, .required)
            .field("sla_due_at", .datetime)
            .field("first_response_at", .datetime)
            .field("resolved_at", .datetime)
            .field("resolution_note", .string)
            .field("token", .string, .required)
            .field("last_customer_at", .datetime)
            .field("last_staff_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "token")
            .create()

        try await db.schema("conversation_messages")
            .id()
            .field("store_id", .uuid, .required)
            .field("conversation_id", .uuid, .required, .references("conversations", "id", onDelete: .cascade))
            .field("author", .string, .required)
            .field("staff_id", .uuid)
            .field("body", .string, .required)
            .field("email_message_id", .string)
            .field("created_at", .datetime, .required)
            .create()

        try await db.schema("outbox")
            .id()
            .field("store_id", .uuid, .required)
            .field("kind", .string, .required)
            .field("payload", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("locked_until", .datetime)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("delivered_at", .datetime)
            .create()

        let sql = db.sql
        try await sql.create(index: "triggers_by_store_event").on("triggers").column("store_id").column("event").run()
        try await sql.create(index: "conversations_inbox").on("conversations").column("store_id").column("status").column("sla_due_at").run()
        try await sql.create(index: "conversations_by_customer").on("conversations").column("customer_id").run()
        try await sql.create(index: "conversations_by_review").on("conversations").column("review_id").run()
        try await sql.create(index: "messages_by_conversation").on("conversation_messages").column("conversation_id").column("created_at").run()
        try await sql.create(index: "messages_by_email_id").on("conversation_messages").column("email_message_id").run()
        try await sql.create(index: "outbox_due").on("outbox").column("status").column("next_attempt_at").run()
    }

    public func revert(on db: any Database) async throws {
        for table in ["outbox", "conversation_messages", "conversations", "trigger_firings", "triggers"] {
            try await db.schema(table).delete()
        }
    }
}

import FluentKit
import SQLKit

/// SLAs as two targets, first reply and next reply, that pause while the store waits for the
/// customer: the store's next-reply target and business hours, which target a conversation's
/// deadline is for, each met or breached target as a row (insights count them), and whether a reply
/// assigns an unowned conversation to the person who wrote it.
public struct M0021_ReplyTargets: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("care_settings")
            .field("store_id", .uuid, .identifier(auto: false), .references("stores", "id", onDelete: .cascade))
            .field("next_reply_minutes", .int)
            .field("business_hours", .bool, .required)
            .field("open_hour", .int, .required)
            .field("close_hour", .int, .required)
            .field("work_days", .string, .required)
            .field("assign_on_reply", .bool, .required)
            .create()
        try await db.schema("sla_results")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("conversation_id", .uuid, .required, .references("conversations", "id", onDelete: .cascade))
            .field("target", .string, .required)
            .field("due_at", .datetime, .required)
            .field("settled_at", .datetime, .required)
            .field("met", .bool, .required)
            .field("staff_id", .uuid)
            .create()
        // Insights read a store's results by date.
        try await db.sql.create(index: "sla_results_by_store").on("sla_results").column("store_id").column("settled_at").run()
        try await db.schema("conversations").field("sla_target", .string).update()
        // A deadline only runs while the store owes a reply: waiting and resolved conversations had
        // theirs still running (shown "overdue by 40 h" after the agent had answered).
        try await db.sql.raw("UPDATE conversations SET sla_due_at = NULL WHERE status <> 'open'").run()
        try await db.sql.raw("UPDATE conversations SET sla_target = 'first' WHERE sla_due_at IS NOT NULL").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("conversations").deleteField("sla_target").update()
        try await db.schema("sla_results").delete()
        try await db.schema("care_settings").delete()
    }
}

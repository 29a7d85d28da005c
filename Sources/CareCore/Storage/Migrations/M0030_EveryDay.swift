import FluentKit
import SQLKit

/// Every day with CareLoop: a mail a person sent (or a resolution) held for its undo window and
/// undone with everything it wrote (`action_id`, `held_until`); a conversation's mails delivered in
/// the order they were written (`follows`), and what an action found, to put back (`undo_actions`); what staff are told (`staff_notifications`) and which
/// kinds each person stopped by email (`notify_off`).
public struct M0030_EveryDay: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        // One column a statement: SQLite's ALTER TABLE adds one at a time.
        try await db.schema("outbox").field("action_id", .uuid).update()
        try await db.schema("outbox").field("follows", .uuid).update()
        try await db.schema("outbox").field("conversation_id", .uuid).update()
        try await db.sql.create(index: "outbox_by_action").on("outbox").column("action_id").run()
        // The tail of a conversation's mails (its newest pending one) without sorting, and the mails waiting for one.
        try await db.sql.create(index: "outbox_by_conversation").on("outbox").column("conversation_id").column("status").column("created_at").run()
        try await db.sql.create(index: "outbox_by_follows").on("outbox").column("follows").run()
        try await db.schema("conversation_messages").field("action_id", .uuid).update()
        try await db.schema("conversation_messages").field("held_until", .datetime).update()
        try await db.schema("staff_users").field("notify_off", .string, .required, .sql(.default(""))).update()
        // Notice mails a person got this clock hour: at most `StaffNotifications.mailsPerHour`.
        try await db.schema("staff_users").field("notice_mails", .int, .required, .sql(.default(0))).update()
        try await db.schema("staff_users").field("notice_hour", .int, .required, .sql(.default(0))).update()

        // What an undoable action found, to put back: the conversation's status and reply clock.
        try await db.schema("undo_actions")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("conversation_id", .uuid, .required, .references("conversations", "id", onDelete: .cascade))
            .field("staff_id", .uuid)
            .field("kind", .string, .required)
            .field("before", .string, .required)
            .field("started_at", .datetime, .required)
            .field("until", .datetime, .required)
            .create()

        // The first hour's steps a store has taken (a test request sent, its widget seen on its shop).
        try await db.schema("store_milestones")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("reached_at", .datetime, .required)
            .unique(on: "store_id", "name")
            .create()

        try await db.schema("staff_notifications")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("staff_id", .uuid, .required, .references("staff_users", "id", onDelete: .cascade))
            .field("conversation_id", .uuid, .references("conversations", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("text", .string, .required)
            .field("created_at", .datetime, .required)
            .field("read_at", .datetime)
            .create()
        try await db.sql.create(index: "staff_notifications_by_person").on("staff_notifications")
            .column("staff_id").column("read_at").column("created_at").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("staff_notifications").delete()
        try await db.schema("store_milestones").delete()
        try await db.schema("undo_actions").delete()
        try await db.schema("staff_users").deleteField("notice_hour").update()
        try await db.schema("staff_users").deleteField("notice_mails").update()
        try await db.schema("staff_users").deleteField("notify_off").update()
        for index in ["outbox_by_follows", "outbox_by_conversation", "outbox_by_action"] {
            try await db.sql.drop(index: index).run()
        }
        try await db.schema("conversation_messages").deleteField("held_until").update()
        try await db.schema("conversation_messages").deleteField("action_id").update()
        try await db.schema("outbox").deleteField("conversation_id").update()
        try await db.schema("outbox").deleteField("follows").update()
        try await db.schema("outbox").deleteField("action_id").update()
    }
}

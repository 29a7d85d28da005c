import FluentKit
import SQLKit

/// Mail that behaves like mail: what bounced and why (the suppression list is the permanent
/// failures not cleared), automatic mail counted per address and hour (no loop sends more than a
/// few), the outbox's two lanes (care before bulk), password-reset mails counted per person, and a
/// store's own sending domain with its DKIM key.
public struct M0028_MailThatBehaves: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("mail_bounces")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("outbox_id", .uuid)
            .field("mail_kind", .string, .required)
            .field("permanent", .bool, .required)
            .field("status", .string, .required)
            .field("diagnostic", .string)
            .field("created_at", .datetime, .required)
            .field("cleared_at", .datetime)
            .create()
        try await db.sql.create(index: "mail_bounces_by_address").on("mail_bounces").column("store_id").column("email").run()
        try await db.sql.create(index: "mail_bounces_by_time").on("mail_bounces").column("store_id").column("created_at").run()
        // A delivery's report counts once (a "delayed" and a final "failed" are two), whichever node takes it.
        try await db.sql.create(index: "mail_bounces_once").on("mail_bounces").column("outbox_id").column("permanent").unique().run()

        try await db.schema("automatic_mail_counts")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("hour", .int, .required)
            .field("sent", .int, .required)
            .unique(on: "store_id", "email", "hour")
            .create()

        try await db.schema("outbox").field("lane", .int, .required, .sql(.default(0))).update()
        try await db.sql.create(index: "outbox_due_by_lane").on("outbox").column("status").column("lane").column("next_attempt_at").run()

        // One column a statement: SQLite's ALTER TABLE adds one at a time.
        try await db.schema("staff_users").field("reset_mails", .int, .required, .sql(.default(0))).update()
        try await db.schema("staff_users").field("reset_hour", .int, .required, .sql(.default(0))).update()

        try await db.schema("store_senders")
            .field("store_id", .uuid, .identifier(auto: false), .references("stores", "id", onDelete: .cascade))
            .field("from_address", .string, .required)
            .field("dkim_selector", .string, .required)
            .field("dkim_key", .string, .required)
            .field("active", .bool, .required)
            .field("created_at", .datetime, .required)
            .create()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("store_senders").delete()
        try await db.schema("staff_users").deleteField("reset_hour").update()
        try await db.schema("staff_users").deleteField("reset_mails").update()
        try await db.schema("outbox").deleteField("lane").update()
        try await db.schema("automatic_mail_counts").delete()
        try await db.schema("mail_bounces").delete()
    }
}

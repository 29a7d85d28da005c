import FluentKit
import SQLKit

/// Saved replies: a store's canned answers, with the same placeholders as trigger templates.
public struct M0010_CreateSavedReplies: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("saved_replies")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        let sql = db.sql
        try await sql.create(index: "saved_replies_by_store").on("saved_replies").column("store_id").column("title").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("saved_replies").delete()
    }
}

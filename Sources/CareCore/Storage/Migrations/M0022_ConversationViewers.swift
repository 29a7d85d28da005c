import FluentKit
import SQLKit

/// Who has a conversation open, and since when: a teammate sees "Maya has this open" before two
/// people answer the same customer.
public struct M0022_ConversationViewers: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("conversation_viewers")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("conversation_id", .uuid, .required, .references("conversations", "id", onDelete: .cascade))
            .field("staff_id", .uuid, .required, .references("staff_users", "id", onDelete: .cascade))
            .field("seen_at", .datetime, .required)
            .unique(on: "conversation_id", "staff_id")
            .create()
        try await db.sql.create(index: "conversation_viewers_by_store").on("conversation_viewers").column("store_id").column("seen_at").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("conversation_viewers").delete()
    }
}

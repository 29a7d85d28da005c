import FluentKit
import SQLKit

/// Photos a customer sends with a message (a broken kettle, a wrong size), stored scrubbed of
/// metadata and shown to staff; and a store's look on the customer's page: its colour and logo.
public struct M0025_PhotosAndBrand: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("message_photos")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("conversation_id", .uuid, .required, .references("conversations", "id", onDelete: .cascade))
            .field("message_id", .uuid, .required, .references("conversation_messages", "id", onDelete: .cascade))
            .field("content_type", .string, .required)
            .field("width", .int, .required)
            .field("height", .int, .required)
            .field("byte_count", .int, .required)
            .field("bytes", .data, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await db.sql.create(index: "message_photos_by_conversation").on("message_photos").column("conversation_id").column("created_at").run()
        try await db.schema("store_brands")
            .field("store_id", .uuid, .identifier(auto: false), .references("stores", "id", onDelete: .cascade))
            .field("colour", .string)
            .field("logo", .data)
            .field("logo_type", .string)
            .field("logo_width", .int)
            .field("logo_height", .int)
            .field("updated_at", .datetime, .required)
            .create()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("store_brands").delete()
        try await db.schema("message_photos").delete()
    }
}

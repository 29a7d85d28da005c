import FluentKit
import SQLKit

/// Stores, their staff, their API keys, and installation settings.
/// Migrations are numbered and never edited once released: change the schema with a new one.
public struct M0001_CreateStores: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("settings")
            .field("key", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .create()

        try await db.schema("stores")
            .id()
            .field("name", .string, .required)
            .field("slug", .string, .required)
            .field("moderation_hold_hours", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "slug")
            .create()

        try await db.schema("staff_users")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("name", .string, .required)
            .field("password_hash", .string, .required)
            .field("role", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "email")
            .create()

        try await db.schema("api_keys")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("key_hash", .string, .required)
            .field("prefix", .string, .required)
            .field("created_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .unique(on: "key_hash")
            .create()
    }

    public func revert(on db: any Database) async throws {
        for table in ["api_keys", "staff_users", "stores", "settings"] {
            try await db.schema(table).delete()
        }
    }
}

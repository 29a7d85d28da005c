import FluentKit

/// A store's own words for its request email (subject and opening paragraph), per language; the
/// built-in texts are used where a store wrote none.
public struct M0020_CreateRequestTemplates: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("request_templates")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("language", .string, .required)
            .field("subject", .string)
            .field("intro", .string)
            .unique(on: "store_id", "language")
            .create()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("request_templates").delete()
    }
}

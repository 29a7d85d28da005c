import FluentKit
import SQLKit

/// Inbox views a person named and kept ("Kettle complaints", "Refunds, mine"), shown with their counts.
public struct M0027_SavedInboxViews: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("inbox_views")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("staff_id", .uuid, .required, .references("staff_users", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("query", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await db.sql.create(index: "inbox_views_by_staff").on("inbox_views").column("staff_id").column("created_at").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("inbox_views").delete()
    }
}

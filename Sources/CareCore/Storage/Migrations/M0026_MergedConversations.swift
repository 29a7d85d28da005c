import FluentKit
import SQLKit

/// Two conversations of one customer about one problem become one: the merged one keeps a pointer
/// to where its messages went, so its reply address and page link keep working.
public struct M0026_MergedConversations: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("conversations").field("merged_into_id", .uuid).update()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("conversations").deleteField("merged_into_id").update()
    }
}

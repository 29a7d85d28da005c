import FluentKit

/// The conversation a review request led to (a reply to its email, or its "Talk to us" page), so a
/// second message about the same order joins the first conversation instead of opening another.
public struct M0018_RequestConversations: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("review_requests").field("conversation_id", .uuid).update()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("review_requests").deleteField("conversation_id").update()
    }
}

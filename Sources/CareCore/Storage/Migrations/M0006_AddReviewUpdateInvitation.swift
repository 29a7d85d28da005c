import FluentKit
import SQLKit

/// A store setting: when a conversation about a review is resolved, invite the customer (once, in
/// plain words, with nothing offered for it) to update their review if they wish.
public struct M0006_AddReviewUpdateInvitation: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("stores").field("invite_review_update", .bool, .required, .sql(.default(true))).update()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("stores").deleteField("invite_review_update").update()
    }
}

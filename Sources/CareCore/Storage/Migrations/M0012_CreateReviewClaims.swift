import FluentKit
import SQLKit

/// Reviews from the public form, and the address each claims to come from. Until that address is
/// confirmed (a signed link mailed to it), the review belongs to the store's unconfirmed reviewer,
/// is unverified, and starts no care.
public struct M0012_CreateReviewClaims: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("review_claims")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("review_id", .uuid, .required, .references("reviews", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("name", .string)
            .field("created_at", .datetime, .required)
            .field("mailed_at", .datetime)
            .field("confirmed_at", .datetime)
            .create()
        let sql = db.sql
        // "Was this address mailed in the last day?" — the mail-bomb brake.
        try await sql.create(index: "review_claims_by_address").on("review_claims").column("store_id").column("email").column("mailed_at").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("review_claims").delete()
    }
}

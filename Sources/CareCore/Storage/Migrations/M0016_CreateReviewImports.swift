import FluentKit
import SQLKit

/// What imports have taken in, one key per imported row: re-running a file imports nothing twice.
/// The key outlives the review on purpose (no foreign key): a review erased at its author's request
/// must not come back with the next run of an old file.
public struct M0016_CreateReviewImports: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("review_imports")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("import_key", .string, .required)
            .field("review_id", .uuid, .required)
            .field("line", .int, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "store_id", "import_key")
            .create()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("review_imports").delete()
    }
}

import FluentKit
import SQLKit

/// A store's reviews by status: the Reviews page's tabs count them, and "Needs a decision" lists the
/// held ones, without walking every review of a big store.
public struct M0023_ReviewsByStatus: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.sql.create(index: "reviews_by_store_status").on("reviews").column("store_id").column("status").column("created_at").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.sql.drop(index: "reviews_by_store_status").run()
    }
}

import FluentKit
import SQLKit

/// The public list's whole order (newest first, then id) in its index, so a page streams from the
/// index: with `created_at` alone, each page sorted the product's reviews again on `id`, and a later
/// page read every row before it.
public struct M0032_PublicListOrder: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        let sql = db.sql
        try await sql.raw("CREATE INDEX reviews_public_list_ordered ON reviews (product_id, status, created_at, id)").run()
        try await sql.drop(index: "reviews_public_list").run()
    }

    public func revert(on db: any Database) async throws {
        let sql = db.sql
        try await sql.raw("CREATE INDEX reviews_public_list ON reviews (product_id, status, created_at)").run()
        try await sql.drop(index: "reviews_public_list_ordered").run()
    }
}

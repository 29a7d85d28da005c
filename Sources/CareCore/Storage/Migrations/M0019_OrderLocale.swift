import FluentKit

/// The buyer's language as the shop knows it (`locale` on an order: `de`, `de-AT`, `en_GB`): review
/// requests about the order are written in it when CareLoop has that language.
public struct M0019_OrderLocale: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("orders").field("locale", .string).update()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("orders").deleteField("locale").update()
    }
}

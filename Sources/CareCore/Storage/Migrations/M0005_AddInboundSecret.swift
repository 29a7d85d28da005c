import FluentKit

/// Each store's secret for posting inbound email (replies piped from Postfix or a mail provider).
public struct M0005_AddInboundSecret: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("stores").field("inbound_secret", .string).update()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("stores").deleteField("inbound_secret").update()
    }
}

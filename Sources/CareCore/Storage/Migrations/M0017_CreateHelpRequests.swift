import FluentKit
import SQLKit

/// "Talk to us" messages from the widget's hosted help page. Anyone may type any address, so a
/// request waits here until the address's owner confirms it by the link mailed to them; only then does
/// it become a conversation with that customer.
public struct M0017_CreateHelpRequests: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("help_requests")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("name", .string)
            .field("order_ref", .string)
            .field("message", .string, .required)
            .field("created_at", .datetime, .required)
            .field("mailed_at", .datetime)
            .field("confirmed_at", .datetime)
            .field("conversation_id", .uuid)
            .create()
        try await db.sql.create(index: "help_requests_by_address").on("help_requests").column("store_id").column("email").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("help_requests").delete()
    }
}

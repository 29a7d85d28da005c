import FluentKit
import SQLKit

/// Where a store wants its events posted (Standard Webhooks), each with its own signing secret.
/// Deliveries themselves are outbox rows.
public struct M0007_CreateWebhookEndpoints: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("webhook_endpoints")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("url", .string, .required)
            .field("events", .string, .required)
            .field("secret", .string, .required)
            .field("enabled", .bool, .required)
            .field("created_at", .datetime, .required)
            .create()
        let sql = db.sql
        try await sql.create(index: "webhook_endpoints_by_store").on("webhook_endpoints").column("store_id").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("webhook_endpoints").delete()
    }
}

import FluentKit
import SQLKit

/// The staff dashboard: sign-in sessions (only a hash of each session token is kept), failed
/// sign-in counts for the lockout, and staff notes on customers.
public struct M0008_CreateStaffSessions: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("staff_sessions")
            .id()
            .field("token_hash", .string, .required)
            .field("staff_id", .uuid, .required, .references("staff_users", "id", onDelete: .cascade))
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("csrf_token", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await db.schema("staff_users").field("failed_logins", .int, .required, .sql(.default(0))).update()
        try await db.schema("staff_users").field("locked_until", .datetime).update()
        try await db.schema("customer_notes")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("customer_id", .uuid, .required, .references("customers", "id", onDelete: .cascade))
            .field("staff_id", .uuid, .references("staff_users", "id", onDelete: .setNull))
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        let sql = db.sql
        try await sql.create(index: "customer_notes_by_customer").on("customer_notes").column("customer_id").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("customer_notes").delete()
        try await db.schema("staff_sessions").delete()
        try await db.schema("staff_users").deleteField("locked_until").update()
        try await db.schema("staff_users").deleteField("failed_logins").update()
    }
}

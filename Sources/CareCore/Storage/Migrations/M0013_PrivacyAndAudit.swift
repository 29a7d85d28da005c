import FluentKit
import SQLKit

/// Accountability and privacy: the store's audit log (who changed what; never edited), when a
/// customer was erased, and how long resolved conversations keep their text.
public struct M0013_PrivacyAndAudit: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("audit_events")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("at", .datetime, .required)
            .field("actor", .string, .required)
            .field("action", .string, .required)
            .field("subject", .string)
            .field("detail", .string)
            .create()
        try await db.schema("customers").field("erased_at", .datetime).update()
        try await db.schema("stores").field("retention_months", .int).update()
        let sql = db.sql
        try await sql.create(index: "audit_events_by_store").on("audit_events").column("store_id").column("at").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("audit_events").delete()
        try await db.schema("customers").deleteField("erased_at").update()
        try await db.schema("stores").deleteField("retention_months").update()
    }
}

import FluentKit
import SQLKit

/// Where each time trigger's sweep got to: the silence cutoff it has covered and when. The next sweep
/// looks only at conversations whose silence crossed the cutoff since, or that changed since, so a
/// sweep costs what changed, not every open conversation.
public struct M0011_CreateTriggerSweeps: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("trigger_sweeps")
            .field("trigger_id", .uuid, .identifier(auto: false), .references("triggers", "id", onDelete: .cascade))
            .field("swept_until", .datetime, .required)
            .field("swept_at", .datetime, .required)
            .create()
        let sql = db.sql
        // The sweep's second way in: conversations changed since the last sweep.
        try await sql.create(index: "conversations_by_store_status_updated").on("conversations")
            .column("store_id").column("status").column("updated_at").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("trigger_sweeps").delete()
    }
}

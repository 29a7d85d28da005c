import FluentKit
import SQLKit

/// How often each trigger fired, a row per trigger and day: the triggers list says "last fired" and
/// "fired N times in 30 days" without keeping a row per firing.
public struct M0024_TriggerFireDays: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("trigger_fire_days")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("trigger_id", .uuid, .required, .references("triggers", "id", onDelete: .cascade))
            .field("day", .int, .required)
            .field("fired", .int, .required)
            .field("last_at", .datetime, .required)
            .unique(on: "trigger_id", "day")
            .create()
        try await db.sql.create(index: "trigger_fire_days_by_store").on("trigger_fire_days").column("store_id").column("day").run()
    }

    public func revert(on db: any Database) async throws {
        try await db.schema("trigger_fire_days").delete()
    }
}

import FluentKit
import Foundation
import SQLKit

/// Whether a trigger is doing anything: each firing counted on its day, atomically in SQL (two nodes
/// firing the same trigger both count), and read back as "last fired" and "fired N times in 30 days".
public enum TriggerActivity {
    public struct Figures: Sendable, Equatable {
        public var lastFired: Date?
        public var lastThirtyDays = 0
    }

    static func count(triggerID: UUID, storeID: UUID, now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO trigger_fire_days (store_id, trigger_id, day, fired, last_at)
            VALUES (\(bind: storeID), \(bind: triggerID), \(bind: RatingSummaryCounter.day(now)), 1, \(bind: now))
            ON CONFLICT (trigger_id, day) DO UPDATE SET fired = trigger_fire_days.fired + 1, last_at = excluded.last_at
            """
        ).run()
    }

    public static func figures(storeID: UUID, now: Date, on db: any Database) async throws -> [UUID: Figures] {
        let since = RatingSummaryCounter.day(now) - 29
        var out: [UUID: Figures] = [:]
        for row in try await db.sql.raw(
            """
            SELECT trigger_id, CAST(SUM(CASE WHEN day >= \(bind: since) THEN fired ELSE 0 END) AS BIGINT) AS n, MAX(last_at) AS last
            FROM trigger_fire_days WHERE store_id = \(bind: storeID) GROUP BY trigger_id
            """
        ).all() {
            out[try row.decode(column: "trigger_id", as: UUID.self)] = Figures(
                lastFired: try row.decode(column: "last", as: Date?.self), lastThirtyDays: try row.decode(column: "n", as: Int.self))
        }
        return out
    }
}

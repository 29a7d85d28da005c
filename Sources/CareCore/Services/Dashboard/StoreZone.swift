import FluentKit
import Foundation
import SQLKit

/// The store's time zone (Settings → Review requests), for times shown to its team.
public enum StoreZone {
    public static func of(_ storeID: UUID, on db: any Database) async throws -> TimeZone {
        try await name(of: storeID, on: db.sql).flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
    }

    /// The zone's name as the store set it; nil when it never did (UTC).
    static func name(of storeID: UUID, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw("SELECT time_zone FROM request_settings WHERE store_id = \(bind: storeID)").first()?
            .decode(column: "time_zone", as: String.self)
    }
}

import FluentKit
import Foundation
import SQLKit

/// The store's time zone (Settings → Review requests), for times shown to its team.
public enum StoreZone {
    public static func of(_ storeID: UUID, on db: any Database) async throws -> TimeZone {
        let name = try await db.sql.raw("SELECT time_zone FROM request_settings WHERE store_id = \(bind: storeID)").first()?
            .decode(column: "time_zone", as: String.self)
        return name.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
    }
}

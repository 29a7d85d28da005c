import Foundation
import NIOConcurrencyHelpers

/// Parsed trigger definitions by their JSON text: a store's triggers are read for every review, and
/// parsing them each time would cost more than the reading. Keyed by the text itself, so it is never
/// stale and can be shared by the whole process (unlike `StoreRulesCache`, which is per application).
enum TriggerCache {
    private static let parsed = NIOLockedValueBox<[String: TriggerDefinition]>([:])

    static func definition(_ json: String) -> TriggerDefinition? {
        if let hit = parsed.withLockedValue({ $0[json] }) { return hit }
        guard let d = try? TriggerJSON.parse(Data(json.utf8)) else { return nil }
        parsed.withLockedValue { all in
            if all.count > 5_000 { all.removeAll() }
            all[json] = d
        }
        return d
    }
}

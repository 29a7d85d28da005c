import Foundation
import NIOConcurrencyHelpers

/// Parsed trigger definitions by their JSON text: a store's triggers are read for every review, and
/// parsing them each time would cost more than the reading.
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

/// Each store's enabled triggers per event, for a moment: every review asks for them, and they
/// change rarely. A change made through this process clears the store's entry at once; `maxAge`
/// bounds how long another node's change takes to be seen.
enum StoreTriggers {
    typealias Entry = (loaded: Date, triggers: [(UUID, String)])
    private static let cache = NIOLockedValueBox<[String: Entry]>([:])
    static let maxAge: TimeInterval = 2

    static func get(storeID: UUID, event: TriggerEvent, now: Date = Date()) -> [(UUID, String)]? {
        cache.withLockedValue { all in
            guard let e = all["\(storeID)/\(event.rawValue)"], now.timeIntervalSince(e.loaded) < maxAge else { return nil }
            return e.triggers
        }
    }

    static func put(_ triggers: [(UUID, String)], storeID: UUID, event: TriggerEvent, now: Date = Date()) {
        cache.withLockedValue { all in
            if all.count > 20_000 { all.removeAll() }
            all["\(storeID)/\(event.rawValue)"] = (now, triggers)
        }
    }

    static func invalidate(storeID: UUID) {
        cache.withLockedValue { all in
            for event in TriggerEvent.allCases { all.removeValue(forKey: "\(storeID)/\(event.rawValue)") }
        }
    }
}

import CareCore
import Foundation
import NIOConcurrencyHelpers

/// Recently checked API keys, by the key's hash, for a few seconds. Every API call needs its store;
/// asking the database each time would make the key look-up the busiest query of all. A key revoked
/// through this node is dropped at once; a key revoked through another node stops working within `maxAge`.
public final class APIKeyCache: Sendable {
    private struct Entry {
        let store: Store
        let stored: Date
    }
    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    private let maxAge: TimeInterval

    public init(maxAge: TimeInterval) { self.maxAge = maxAge }

    func store(forKeyHash hash: String, now: Date = Date()) -> Store? {
        entries.withLockedValue { all in
            guard let e = all[hash], now.timeIntervalSince(e.stored) < maxAge else { return nil }
            return e.store
        }
    }

    func remember(_ store: Store, forKeyHash hash: String, now: Date = Date()) {
        guard maxAge > 0 else { return }
        entries.withLockedValue { all in
            if all.count > 10_000 { all.removeAll(keepingCapacity: true) }
            all[hash] = Entry(store: store, stored: now)
        }
    }

    func forget(keyHash hash: String) {
        _ = entries.withLockedValue { $0.removeValue(forKey: hash) }
    }
}

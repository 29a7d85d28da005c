import Foundation
import NIOConcurrencyHelpers

/// Bytes of request bodies held in memory at once, per store and in all, and reads per client
/// address. A body takes what it may grow to (its declared length, else the route's limit) before
/// its first byte is read, so memory stays bounded whatever the senders do, while many small bodies
/// (a shop's order webhooks are a few KB) are read side by side.
final class BodyBudget: Sendable {
    struct Ticket: Sendable {
        let store: UUID
        let address: String
        let bytes: Int
    }
    private struct State: Sendable {
        var stores: [UUID: Int] = [:]
        var addresses: [String: Int] = [:]
        var total = 0
    }

    let perStore: Int
    let total: Int
    let readsPerAddress: Int
    private let state = NIOLockedValueBox(State())

    init(perStore: Int, total: Int, readsPerAddress: Int) {
        self.perStore = perStore
        self.total = total
        self.readsPerAddress = readsPerAddress
    }

    /// Room for `bytes` more, or nil when the store, the node or the address has as much as it may.
    func take(store: UUID, address: String, bytes: Int) -> Ticket? {
        state.withLockedValue { s in
            guard s.total + bytes <= total, s.stores[store, default: 0] + bytes <= perStore,
                s.addresses[address, default: 0] < readsPerAddress, s.addresses.count < 100_000
            else { return nil }
            s.total += bytes
            s.stores[store, default: 0] += bytes
            s.addresses[address, default: 0] += 1
            return Ticket(store: store, address: address, bytes: bytes)
        }
    }

    func release(_ t: Ticket) {
        state.withLockedValue { s in
            s.total -= t.bytes
            s.stores[t.store, default: t.bytes] -= t.bytes
            if s.stores[t.store] == 0 { s.stores.removeValue(forKey: t.store) }
            s.addresses[t.address, default: 1] -= 1
            if s.addresses[t.address] == 0 { s.addresses.removeValue(forKey: t.address) }
        }
    }

    var inUse: Int { state.withLockedValue { $0.total } }
}

import CareCore
import Foundation
import NIOConcurrencyHelpers

/// Rendered public review lists, kept in memory for a short time. The widget on a busy product page
/// asks for the same list over and over; answering from memory keeps that off the database. Any write
/// on this node that touches the product drops its entries at once (the storage layer reports which,
/// after the commit: see `WriteEffects`); `maxAge` bounds how stale a list can be when another node
/// sharing the database made the write.
public final class PublicListCache: Sendable {
    struct Entry {
        let body: Data
        let stored: Date
    }
    struct State {
        var entries: [String: [String: Entry]] = [:]
        var bytes = 0
        /// Which cached product keys (store slug + external id) belong to a product and to a store,
        /// learned when a list is put, so a write that knows only ids can drop them.
        var keysByProduct: [UUID: Set<String>] = [:]
        var keysByStore: [UUID: Set<String>] = [:]
        /// When lists past their age were last dropped.
        var swept = Date.distantPast
    }
    private let state = NIOLockedValueBox(State())
    private let maxAge: TimeInterval
    /// Bounds, so no stream of distinct requests (every `page` × `per_page`, every product) can grow it:
    /// products kept, list variants per product, and bytes in all.
    let maxProducts = 10_000
    let maxVariantsPerProduct = 16
    let maxBytes = 32 << 20

    public init(maxAge: TimeInterval) { self.maxAge = maxAge }

    static func productKey(storeSlug: String, externalID: String) -> String { "\(storeSlug)\u{0}\(externalID)" }

    func get(product: String, variant: String, now: Date = Date()) -> Data? {
        guard maxAge > 0 else { return nil }
        return state.withLockedValue { s in
            guard let e = s.entries[product]?[variant], now.timeIntervalSince(e.stored) < maxAge else { return nil }
            return e.body
        }
    }

    func put(product: String, store: UUID, productID: UUID, variant: String, body: Data, now: Date = Date()) {
        guard maxAge > 0, body.count <= maxBytes / 64 else { return }
        state.withLockedValue { s in
            // Lists past their age answer nobody: dropped once every `maxAge`, so the memory held
            // is a few seconds' lists, not the bound.
            if now.timeIntervalSince(s.swept) >= maxAge { Self.dropStale(&s, before: now.addingTimeInterval(-maxAge), now: now) }
            // Over a bound, start afresh: entries live two seconds, so losing them costs one read each.
            if s.bytes + body.count > maxBytes || (s.entries.count >= maxProducts && s.entries[product] == nil) {
                s = State()
            }
            var variants = s.entries[product] ?? [:]
            if variants.count >= maxVariantsPerProduct && variants[variant] == nil {
                s.bytes -= variants.values.reduce(0) { $0 + $1.body.count }
                variants = [:]
            }
            s.bytes += body.count - (variants[variant]?.body.count ?? 0)
            variants[variant] = Entry(body: body, stored: now)
            s.entries[product] = variants
            s.keysByProduct[productID, default: []].insert(product)
            s.keysByStore[store, default: []].insert(product)
        }
    }

    private static func dropStale(_ s: inout State, before cutoff: Date, now: Date) {
        s.swept = now
        for (product, variants) in s.entries {
            let fresh = variants.filter { $0.value.stored >= cutoff }
            guard fresh.count < variants.count else { continue }
            s.bytes -= variants.values.reduce(0) { $0 + $1.body.count } - fresh.values.reduce(0) { $0 + $1.body.count }
            s.entries[product] = fresh.isEmpty ? nil : fresh
        }
        let entries = s.entries
        let held = { (keys: Set<String>) -> Set<String>? in
            let kept = keys.filter { entries[$0] != nil }
            return kept.isEmpty ? nil : kept
        }
        s.keysByProduct = s.keysByProduct.compactMapValues(held)
        s.keysByStore = s.keysByStore.compactMapValues(held)
    }

    /// What the cache holds now (for tests of its bounds).
    var size: (products: Int, variants: Int, bytes: Int) {
        state.withLockedValue { s in (s.entries.count, s.entries.values.reduce(0) { $0 + $1.count }, s.bytes) }
    }

    /// Drops everything (tests of the bounds).
    func invalidateAll() {
        state.withLockedValue { $0 = State() }
    }

    /// Drops the lists a committed write may have changed: one product's, or (product nil) a store's.
    func invalidate(_ changed: WriteEffects.ChangedList) {
        state.withLockedValue { s in
            let keys = changed.product.map { s.keysByProduct.removeValue(forKey: $0) } ?? s.keysByStore.removeValue(forKey: changed.store)
            for key in keys ?? [] {
                if let gone = s.entries.removeValue(forKey: key) { s.bytes -= gone.values.reduce(0) { $0 + $1.body.count } }
            }
        }
    }
}

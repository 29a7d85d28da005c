import Foundation
import NIOConcurrencyHelpers

/// Rendered public review lists, kept in memory for a short time. The widget on a busy product page
/// asks for the same list over and over; answering from memory keeps that off the database. Any write
/// on this node that touches the product drops its entries at once; `maxAge` bounds how stale a list
/// can be when another node sharing the database made the write.
public final class PublicListCache: Sendable {
    struct Entry { let body: Data; let stored: Date }
    private let entries = NIOLockedValueBox<[String: [String: Entry]]>([:])
    private let maxAge: TimeInterval
    private let maxProducts = 10_000

    public init(maxAge: TimeInterval) { self.maxAge = maxAge }

    static func productKey(storeSlug: String, externalID: String) -> String { "\(storeSlug)\u{0}\(externalID)" }

    func get(product: String, variant: String, now: Date = Date()) -> Data? {
        guard maxAge > 0 else { return nil }
        return entries.withLockedValue { all in
            guard let e = all[product]?[variant], now.timeIntervalSince(e.stored) < maxAge else { return nil }
            return e.body
        }
    }

    func put(product: String, variant: String, body: Data, now: Date = Date()) {
        guard maxAge > 0 else { return }
        entries.withLockedValue { all in
            if all.count >= maxProducts && all[product] == nil { all.removeAll(keepingCapacity: true) }
            all[product, default: [:]][variant] = Entry(body: body, stored: now)
        }
    }

    func invalidate(product: String) {
        _ = entries.withLockedValue { $0.removeValue(forKey: product) }
    }

    /// For writes that can touch many products of a store (moderation sweeps): drop everything.
    func invalidateAll() {
        entries.withLockedValue { $0.removeAll() }
    }
}

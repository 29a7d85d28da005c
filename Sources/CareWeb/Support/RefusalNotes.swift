import Foundation
import NIOConcurrencyHelpers

/// Which refused deliveries get written down: at most one a second per connection. A refusal is
/// unauthenticated, so a flood of forged deliveries must not become a flood of writes; the page
/// still shows that refusals happen, their latest reason, and a count (of those noted).
final class RefusalNotes: Sendable {
    private let last = NIOLockedValueBox<[UUID: Date]>([:])
    private let limit = 10_000

    /// True when this refusal should be noted now.
    func shouldNote(_ connection: UUID, now: Date = Date()) -> Bool {
        last.withLockedValue { map in
            if let t = map[connection], now.timeIntervalSince(t) < 1 { return false }
            if map.count >= limit { map.removeAll(keepingCapacity: true) }
            map[connection] = now
            return true
        }
    }
}

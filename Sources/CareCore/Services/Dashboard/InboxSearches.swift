import Foundation
import NIOConcurrencyHelpers

/// The conversations a searched inbox view matched, kept for a minute so the pages opened from it
/// (each conversation's previous / next, and what opens after "send and next") do not run the search
/// again. The inbox page itself always searches afresh and stores what it found.
///
/// Staleness: a conversation that starts matching after the search (a new review, a new message) is
/// left out of previous / next until the entry is `maxAge` old; one that stops being in the view
/// (resolved, reassigned) drops out at once, because the view's other conditions are still applied
/// to the stored ids on every use.
public final class InboxSearches: Sendable {
    struct Key: Hashable, Sendable {
        let store: UUID
        let staff: UUID
        let view: Inbox.View
    }
    private struct Entry: Sendable {
        let found: Date
        let ids: [UUID]
    }

    public let maxAge: TimeInterval
    /// Bounds memory: each entry holds at most `Inbox.maxMatches` ids (16 KB); past this many
    /// entries the oldest half is dropped.
    static let maxEntries = 512
    private let entries = NIOLockedValueBox([Key: Entry]())

    public init(maxAge: TimeInterval = 60) {
        self.maxAge = maxAge
    }

    func ids(_ key: Key, now: Date) -> [UUID]? {
        entries.withLockedValue { e in
            guard let entry = e[key], now.timeIntervalSince(entry.found) < maxAge, entry.found <= now else { return nil }
            return entry.ids
        }
    }

    func put(_ ids: [UUID], for key: Key, now: Date) {
        guard maxAge > 0 else { return }
        entries.withLockedValue { e in
            if e.count >= Self.maxEntries {
                let oldest = e.sorted { $0.value.found < $1.value.found }.prefix(Self.maxEntries / 2).map(\.key)
                for k in oldest { e.removeValue(forKey: k) }
            }
            e[key] = Entry(found: now, ids: Array(ids.prefix(Inbox.maxMatches)))
        }
    }

    var count: Int { entries.withLockedValue { $0.count } }
}

import Foundation
import NIOConcurrencyHelpers

/// Each store's enabled triggers (per event) and webhook endpoints, for a moment. Every review asks
/// for both (webhooks up to three times for a review that opens a conversation) and they change rarely.
///
/// One per application, owned by its `CareStorage`. Staleness: a change written through this
/// application clears the store's entries right after its commit (the write notes it, see
/// `WriteEffects`); a change made by another node is seen here within `maxAge` seconds.
public final class StoreRulesCache: Sendable {
    typealias StoredTrigger = (id: UUID, definition: String)
    typealias Endpoint = (id: UUID, events: Set<String>)

    private struct Entry<T: Sendable>: Sendable {
        let loaded: Date
        let value: T
    }
    private struct State: Sendable {
        var triggers: [TriggerKey: Entry<[StoredTrigger]>] = [:]
        var webhooks: [UUID: Entry<[Endpoint]>] = [:]
    }
    private struct TriggerKey: Hashable, Sendable {
        let store: UUID
        let event: TriggerEvent
    }

    /// How long another node's change may go unseen, in seconds (`CARELOOP_RULES_CACHE_SECONDS`).
    public let maxAge: TimeInterval
    /// Bounds memory when very many stores are active: past it the cache starts over.
    static let maxEntries = 20_000
    private let state = NIOLockedValueBox(State())
    /// Parsed trigger definitions and compiled patterns, by their text: never stale, so kept across
    /// invalidations; bounded (patterns come from stores' rules, at most 20 a store).
    private let parsed = NIOLockedValueBox<[String: TriggerDefinition]>([:])
    private let compiled = NIOLockedValueBox<[String: LinearPattern]>([:])
    static let maxParsed = 5_000
    static let maxCompiled = 2_000

    public init(maxAge: TimeInterval = 2) {
        self.maxAge = maxAge
    }

    func triggers(storeID: UUID, event: TriggerEvent, now: Date = Date()) -> [StoredTrigger]? {
        state.withLockedValue { s in
            s.triggers[TriggerKey(store: storeID, event: event)].flatMap { fresh($0, now: now) }
        }
    }

    func put(triggers: [StoredTrigger], storeID: UUID, event: TriggerEvent, now: Date = Date()) {
        guard maxAge > 0 else { return }
        state.withLockedValue { s in
            if s.triggers.count >= Self.maxEntries { s.triggers.removeAll() }
            s.triggers[TriggerKey(store: storeID, event: event)] = Entry(loaded: now, value: triggers)
        }
    }

    func webhooks(storeID: UUID, now: Date = Date()) -> [Endpoint]? {
        state.withLockedValue { s in s.webhooks[storeID].flatMap { fresh($0, now: now) } }
    }

    func put(webhooks: [Endpoint], storeID: UUID, now: Date = Date()) {
        guard maxAge > 0 else { return }
        state.withLockedValue { s in
            if s.webhooks.count >= Self.maxEntries { s.webhooks.removeAll() }
            s.webhooks[storeID] = Entry(loaded: now, value: webhooks)
        }
    }

    /// Forgets what is held for these stores (their triggers or webhooks were just written here).
    func invalidate(stores: Set<UUID>) {
        guard !stores.isEmpty else { return }
        state.withLockedValue { s in
            for store in stores {
                s.webhooks.removeValue(forKey: store)
                for event in TriggerEvent.allCases { s.triggers.removeValue(forKey: TriggerKey(store: store, event: event)) }
            }
        }
    }

    /// A trigger's definition parsed from its stored JSON, once.
    func definition(_ json: String) -> TriggerDefinition? {
        if let hit = parsed.withLockedValue({ $0[json] }) { return hit }
        guard let d = try? TriggerJSON.parse(Data(json.utf8)) else { return nil }
        parsed.withLockedValue { all in
            if all.count >= Self.maxParsed { all.removeAll() }
            all[json] = d
        }
        return d
    }

    /// A rule's pattern compiled once, not on every review.
    func pattern(_ source: String) -> LinearPattern? {
        if let hit = compiled.withLockedValue({ $0[source] }) { return hit }
        guard let p = try? LinearPattern(source) else { return nil }
        compiled.withLockedValue { all in
            if all.count >= Self.maxCompiled { all.removeAll() }
            all[source] = p
        }
        return p
    }

    private func fresh<T: Sendable>(_ entry: Entry<T>, now: Date) -> T? {
        now.timeIntervalSince(entry.loaded) < maxAge ? entry.value : nil
    }
}

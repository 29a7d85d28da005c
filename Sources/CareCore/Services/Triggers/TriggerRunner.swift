import FluentKit
import Foundation
import SQLKit

/// What a trigger's conditions and actions work on: the event's subject and whatever the actions
/// create along the way (the conversation an `open_conversation` opened, for the actions after it).
public struct CareSubject: Sendable {
    public var store: Store
    public var customer: Customer
    public var review: Review?
    public var product: Product?
    public var conversation: Conversation?

    public init(store: Store, customer: Customer, review: Review? = nil, product: Product? = nil, conversation: Conversation? = nil) {
        self.store = store
        self.customer = customer
        self.review = review
        self.product = product
        self.conversation = conversation
    }

    /// The id a once-per-subject guard is kept against.
    var subjectID: UUID? { review?.id ?? conversation?.id }
}

/// Runs a store's triggers for an event, inside the caller's transaction, so whatever they do
/// (open a conversation, queue its email) commits or rolls back with the event itself.
public enum TriggerRunner {
    /// How deep events raised by trigger actions may chain (a trigger never re-fires itself).
    static let maxDepth = 4

    @discardableResult
    public static func fire(
        _ event: TriggerEvent, subject: CareSubject, links: CareLinks, now: Date,
        on sql: any SQLDatabase
    ) async throws -> CareSubject {
        try await fire(event, subject: subject, links: links, now: now, excluding: [], depth: 0, on: sql)
    }

    static func fire(
        _ event: TriggerEvent, subject: CareSubject, links: CareLinks, now: Date,
        excluding: Set<UUID>, depth: Int, on sql: any SQLDatabase
    ) async throws -> CareSubject {
        guard depth < maxDepth else { return subject }
        let storeID = try subject.store.requireID()
        // Read through the application's cache when running inside one of its writes.
        let cache = WriteEffects.current?.rules
        let stored: [StoreRulesCache.StoredTrigger]
        if let cached = cache?.triggers(storeID: storeID, event: event) {
            stored = cached
        } else {
            stored = try await triggers(storeID: storeID, event: event, on: sql)
            cache?.put(triggers: stored, storeID: storeID, event: event)
        }
        guard !stored.isEmpty else { return subject }
        var subject = subject
        var facts: TriggerFacts?
        for (triggerID, json) in stored where !excluding.contains(triggerID) {
            guard let trigger = TriggerCache.definition(json) else { continue }
            if facts == nil {
                facts = try await Facts.collect(for: subject, needing: trigger, now: now, on: sql)
            } else {
                facts = try await Facts.complete(facts!, for: subject, needing: trigger, on: sql)
            }
            guard trigger.conditions.matches(facts!) else { continue }
            // review.created and conversation.opened happen once per subject by nature: no guard row needed.
            if trigger.oncePerSubject, !event.happensOncePerSubject, let subjectID = subject.subjectID {
                guard try await recordFiring(triggerID: triggerID, subjectID: subjectID, storeID: storeID, at: now, on: sql)
                else { continue }
            }
            try await TriggerActivity.count(triggerID: triggerID, storeID: storeID, now: now, on: sql)
            let raised: [TriggerEvent]
            (subject, raised) = try await CareActions.run(trigger.actions, of: trigger.name, on: subject, links: links, now: now, sql: sql)
            for next in raised {
                subject = try await fire(
                    next, subject: subject, links: links, now: now,
                    excluding: excluding.union([triggerID]), depth: depth + 1, on: sql)
            }
            facts = nil // actions may have changed what the next trigger sees
        }
        return subject
    }

    /// Fires one time trigger on a conversation that has been silent long enough. `guardKey` is what
    /// the firing is recorded against (the conversation, or one silence of it): false if it already fired.
    @discardableResult
    static func fireTimed(
        triggerID: UUID, _ trigger: TriggerDefinition, subject: CareSubject, guardKey: UUID, links: CareLinks,
        now: Date, on sql: any SQLDatabase
    ) async throws -> Bool {
        let storeID = try subject.store.requireID()
        let facts = try await Facts.collect(for: subject, needing: trigger, now: now, on: sql)
        guard trigger.conditions.matches(facts) else { return false }
        guard try await recordFiring(triggerID: triggerID, subjectID: guardKey, storeID: storeID, at: now, on: sql) else { return false }
        try await TriggerActivity.count(triggerID: triggerID, storeID: storeID, now: now, on: sql)
        var (s, raised) = try await CareActions.run(trigger.actions, of: trigger.name, on: subject, links: links, now: now, sql: sql)
        for next in raised {
            s = try await fire(next, subject: s, links: links, now: now, excluding: [triggerID], depth: 1, on: sql)
        }
        return true
    }
}

extension TriggerRunner {
    /// Records that a trigger fired for a subject; false when it already had (the once-per-subject guard).
    static func recordFiring(triggerID: UUID, subjectID: UUID, storeID: UUID, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        let rows = try await sql.raw(
            """
            INSERT INTO trigger_firings (id, store_id, trigger_id, subject_id, fired_at)
            VALUES (\(bind: UUID()), \(bind: storeID), \(bind: triggerID), \(bind: subjectID), \(bind: now))
            ON CONFLICT (trigger_id, subject_id) DO NOTHING RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    /// The store's enabled triggers for an event, in order: (id, definition JSON).
    static func triggers(storeID: UUID, event: TriggerEvent, on sql: any SQLDatabase) async throws -> [(UUID, String)] {
        try await sql.raw(
            """
            SELECT id, definition FROM triggers
            WHERE store_id = \(bind: storeID) AND event = \(bind: event.rawValue) AND enabled = \(bind: true)
            ORDER BY position, created_at
            """
        ).all().map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "definition", as: String.self)) }
    }
}

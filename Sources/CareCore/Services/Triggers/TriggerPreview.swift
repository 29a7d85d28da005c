import FluentKit
import Foundation
import NIOPosix
import SQLKit

/// "Would this trigger have fired?": a trigger's conditions tested against the store's last 50
/// reviews (for review events) or conversations (for conversation events), changing nothing.
/// Once-per-subject guards are not consulted: the question is what the conditions say.
public enum TriggerPreview {
    public struct Row: Sendable {
        public let reviewID: UUID?
        public let conversationID: UUID?
        public let customer: String
        public let stars: Int?
        public let text: String
        public let wouldFire: Bool
    }

    /// Pattern conditions read whole texts: evaluated on the thread pool, never on the cooperative
    /// threads that answer every other request.
    /// `patterns` holds the trigger's compiled patterns for the whole preview (compiled once, not per subject).
    static func matches(_ trigger: TriggerDefinition, _ facts: TriggerFacts, patterns: StoreRulesCache) async throws -> Bool {
        guard trigger.conditions.patternCount > 0 else { return trigger.conditions.matches(facts) }
        return try await NIOThreadPool.singleton.runIfActive {
            WriteEffects.$current.withValue(WriteEffects(rules: patterns)) { trigger.conditions.matches(facts) }
        }
    }

    public static func run(_ trigger: TriggerDefinition, storeID: UUID, now: Date, limit: Int = 50, on db: any Database) async throws -> [Row] {
        let sql = db.sql
        guard let store = try await Store.query(on: db).filter(\.$id == storeID).first()
        else { throw CareError.notFound("store") }
        var rows: [Row] = []
        let patterns = StoreRulesCache(maxAge: 0)
        if trigger.event == .reviewCreated || trigger.event == .reviewUpdated {
            let reviews = try await Review.query(on: db).filter(\.$storeID == storeID).sort(\.$createdAt, .descending).limit(limit).all()
            let customers = try await ReviewQueries.byID(Customer.self, ids: Set(reviews.map(\.customerID)), on: db)
            let products = try await ReviewQueries.byID(Product.self, ids: Set(reviews.map(\.productID)), on: db)
            for r in reviews {
                guard let customer = customers[r.customerID] else { continue }
                let facts = try await Facts.collect(
                    for: CareSubject(store: store, customer: customer, review: r, product: products[r.productID]),
                    needing: trigger, now: now, on: sql)
                rows.append(
                    Row(
                        reviewID: r.id, conversationID: nil, customer: customer.name ?? customer.email, stars: r.rating,
                        text: Inbox.firstLine(r.title ?? r.body ?? ""), wouldFire: try await matches(trigger, facts, patterns: patterns)))
            }
        } else {
            let conversations = try await Conversation.query(on: db).filter(\.$storeID == storeID).sort(\.$createdAt, .descending).limit(limit).all()
            let customers = try await ReviewQueries.byID(Customer.self, ids: Set(conversations.map(\.customerID)), on: db)
            for c in conversations {
                guard let customer = customers[c.customerID] else { continue }
                let subject = try await CareSubject.of(c, store: store, customer: customer, on: sql)
                let facts = try await Facts.collect(for: subject, needing: trigger, now: now, on: sql)
                rows.append(
                    Row(
                        reviewID: c.reviewID, conversationID: c.id, customer: customer.name ?? customer.email, stars: nil,
                        text: Inbox.firstLine(c.subject), wouldFire: try await matches(trigger, facts, patterns: patterns)))
            }
        }
        return rows
    }
}

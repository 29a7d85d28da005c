import FluentKit
import Foundation
import SQLKit

/// The facts conditions are tested against. Cheap facts come from the subject itself; the ones that
/// need a query (review count, lifetime value, open conversations) are asked only when a trigger's
/// conditions mention them.
enum Facts {
    static let queried: Set<String> = ["customer.review_count", "customer.lifetime_value", "customer.open_conversations"]

    static func collect(for s: CareSubject, needing trigger: TriggerDefinition, now: Date, on sql: any SQLDatabase) async throws -> TriggerFacts {
        var f: TriggerFacts = ["customer.email": .string(s.customer.email)]
        if let r = s.review {
            f["review.rating"] = .number(Double(r.rating))
            f["review.title"] = r.title.map(TriggerValue.string) ?? .null
            f["review.body"] = r.body.map(TriggerValue.string) ?? .null
            f["review.verified"] = .bool(r.verified)
            f["review.source"] = .string(r.source.rawValue)
        }
        if let p = s.product {
            f["product.external_id"] = .string(p.externalID)
            f["product.name"] = .string(p.name)
        }
        if let c = s.conversation {
            f["conversation.status"] = .string(c.status.rawValue)
            f["conversation.priority"] = .string(c.priority.rawValue)
            f["conversation.tags"] = .list(c.tags.map(TriggerValue.string))
            // Silences, counted from the conversation's opening when nobody has written yet.
            f["conversation.minutes_since_staff_reply"] = .number((now.timeIntervalSince(c.lastStaffAt ?? c.createdAt) / 60).rounded(.down))
            f["conversation.days_since_customer_reply"] = .number((now.timeIntervalSince(c.lastCustomerAt ?? c.createdAt) / 86_400).rounded(.down))
        }
        return try await complete(f, for: s, needing: trigger, on: sql)
    }

    static func complete(_ facts: TriggerFacts, for s: CareSubject, needing trigger: TriggerDefinition, on sql: any SQLDatabase) async throws -> TriggerFacts {
        var f = facts
        // Text analysis only when a condition asks for it.
        if let r = s.review {
            let wanted = trigger.conditions.attributes
            if wanted.contains("review.sentiment"), f["review.sentiment"] == nil {
                f["review.sentiment"] = .number(Sentiment.score([r.title, r.body].compactMap { $0 }.joined(separator: ". ")))
            }
            if wanted.contains("review.lukewarm"), f["review.lukewarm"] == nil {
                f["review.lukewarm"] = .bool(Lukewarm.isLukewarm(rating: r.rating, title: r.title, body: r.body))
            }
        }
        let wanted = trigger.conditions.attributes.intersection(queried).subtracting(f.keys)
        guard !wanted.isEmpty, let customerID = s.customer.id else { return f }
        if wanted.contains("customer.review_count") {
            let n = try await sql.raw("SELECT COUNT(*) AS n FROM reviews WHERE customer_id = \(bind: customerID)").first()?.decode(column: "n", as: Int.self) ?? 0
            f["customer.review_count"] = .number(Double(n))
        }
        if wanted.contains("customer.lifetime_value") {
            let cents = try await sql.raw("SELECT \(unsafeRaw: LifetimeValue.sumSQL("total_cents")) AS v FROM orders WHERE customer_id = \(bind: customerID)")
                .first()?.decode(column: "v", as: Double.self) ?? 0
            f["customer.lifetime_value"] = .number(cents / 100)
        }
        if wanted.contains("customer.open_conversations") {
            let n = try await sql.raw("""
                SELECT COUNT(*) AS n FROM conversations WHERE customer_id = \(bind: customerID) AND status <> \(bind: ConversationStatus.resolved.rawValue)
                """).first()?.decode(column: "n", as: Int.self) ?? 0
            f["customer.open_conversations"] = .number(Double(n))
        }
        return f
    }
}

extension TriggerCondition {
    /// Every attribute the condition tests.
    var attributes: Set<String> {
        switch self {
        case .all(let cs), .any(let cs): cs.reduce(into: Set<String>()) { $0.formUnion($1.attributes) }
        case .not(let c): c.attributes
        case .compare(let a, _, _): [a]
        }
    }
}

import FluentKit
import Foundation
import SQLKit

/// The facts conditions are tested against. Cheap facts come from the subject itself; the ones that
/// need a query (review count, lifetime value, open conversations) are asked only when a trigger's
/// conditions mention them.
enum Facts {
    static func collect(for s: CareSubject, needing trigger: TriggerDefinition, now: Date, on sql: any SQLDatabase) async throws -> TriggerFacts {
        var f: TriggerFacts = [.customerEmail: .string(s.customer.email)]
        if let r = s.review {
            f[.reviewRating] = .number(Double(r.rating))
            f[.reviewTitle] = r.title.map(TriggerValue.string) ?? .null
            f[.reviewBody] = r.body.map(TriggerValue.string) ?? .null
            f[.reviewVerified] = .bool(r.verified)
            f[.reviewSource] = .string(r.source.rawValue)
        }
        if let p = s.product {
            f[.productExternalID] = .string(p.externalID)
            f[.productName] = .string(p.name)
        }
        if let c = s.conversation {
            f[.conversationStatus] = .string(c.status.rawValue)
            f[.conversationPriority] = .string(c.priority.rawValue)
            f[.conversationTags] = .list(c.tags.map(TriggerValue.string))
            // Silences, counted from the conversation's opening when nobody has written yet.
            f[.conversationMinutesSinceStaffReply] = .number((now.timeIntervalSince(c.lastStaffAt ?? c.createdAt) / 60).rounded(.down))
            f[.conversationDaysSinceCustomerReply] = .number((now.timeIntervalSince(c.lastCustomerAt ?? c.createdAt) / 86_400).rounded(.down))
        }
        return try await complete(f, for: s, needing: trigger, on: sql)
    }

    static func complete(_ facts: TriggerFacts, for s: CareSubject, needing trigger: TriggerDefinition, on sql: any SQLDatabase) async throws
        -> TriggerFacts
    {
        var f = facts
        // Text analysis only when a condition asks for it.
        if let r = s.review {
            let wanted = trigger.conditions.attributes
            if wanted.contains(.reviewSentiment), f[.reviewSentiment] == nil {
                f[.reviewSentiment] = .number(Sentiment.score([r.title, r.body].compactMap { $0 }.joined(separator: ". ")))
            }
            if wanted.contains(.reviewLukewarm), f[.reviewLukewarm] == nil {
                f[.reviewLukewarm] = .bool(Lukewarm.isLukewarm(rating: r.rating, title: r.title, body: r.body))
            }
        }
        let wanted = trigger.conditions.attributes.filter(\.needsQuery).subtracting(f.keys)
        guard !wanted.isEmpty, let customerID = s.customer.id else { return f }
        if wanted.contains(.customerReviewCount) {
            let n =
                try await sql.raw("SELECT COUNT(*) AS n FROM reviews WHERE customer_id = \(bind: customerID)").first()?.decode(
                    column: "n", as: Int.self) ?? 0
            f[.customerReviewCount] = .number(Double(n))
        }
        if wanted.contains(.customerLifetimeValue) {
            let cents =
                try await sql.raw("SELECT \(unsafeRaw: LifetimeValue.sumSQL("total_cents")) AS v FROM orders WHERE customer_id = \(bind: customerID)")
                .first()?.decode(column: "v", as: Double.self) ?? 0
            f[.customerLifetimeValue] = .number(cents / 100)
        }
        if wanted.contains(.customerOpenConversations) {
            let n =
                try await sql.raw(
                    """
                    SELECT COUNT(*) AS n FROM conversations WHERE customer_id = \(bind: customerID) AND status <> \(bind: ConversationStatus.resolved.rawValue)
                    """
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            f[.customerOpenConversations] = .number(Double(n))
        }
        return f
    }
}

extension TriggerCondition {
    /// Every attribute the condition tests.
    var attributes: Set<TriggerAttribute> {
        switch self {
        case .all(let cs), .any(let cs): cs.reduce(into: Set<TriggerAttribute>()) { $0.formUnion($1.attributes) }
        case .not(let c): c.attributes
        case .compare(let a, _, _): [a]
        }
    }
}

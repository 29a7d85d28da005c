import Crypto
import FluentKit
import Foundation
import SQLKit

/// Time events: `conversation.unanswered` (open, no staff reply for `after_minutes` since the
/// customer last wrote) and `conversation.waiting_customer` (waiting on the customer for
/// `after_minutes` since the store last wrote). A sweep, run every few seconds by a job, fires each
/// enabled time trigger on the conversations that have been silent long enough.
///
/// A time trigger fires once per conversation; with `"once_per_subject": false`, once per silence
/// (a new customer message starts a new one). The firing row is written in the same transaction as
/// the trigger's actions, so two nodes sweeping together fire it once.
public enum TimedTriggers {
    struct Due: Sendable {
        let triggerID: UUID
        let storeID: UUID
        let definition: TriggerDefinition
    }

    /// Returns how many firings it made.
    @discardableResult
    public static func sweep(links: CareLinks, storage: CareStorage, on db: any Database, perTrigger: Int = 200) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { return 0 }
        let now = storage.now()
        let rows = try await sql.raw("""
            SELECT id, store_id, definition FROM triggers
            WHERE enabled = \(bind: true) AND event IN \(SQLBind.group([TriggerEvent.conversationUnanswered.rawValue, TriggerEvent.conversationWaitingCustomer.rawValue]))
            """).all()
        var fired = 0
        for row in rows {
            guard let d = TriggerCache.definition(try row.decode(column: "definition", as: String.self)), let minutes = d.afterMinutes else { continue }
            let due = Due(triggerID: try row.decode(column: "id", as: UUID.self), storeID: try row.decode(column: "store_id", as: UUID.self), definition: d)
            let cutoff = now.addingTimeInterval(-Double(minutes) * 60)
            for (conversationID, silentSince) in try await candidates(due, cutoff: cutoff, limit: perTrigger, on: sql) {
                let key = d.oncePerSubject ? conversationID : episodeKey(conversationID, since: silentSince)
                let didFire = try await storage.write(on: db) { tx -> Bool in
                    // Re-read in the transaction: a reply may have arrived since the scan.
                    guard let c = try await tx.first(Conversation.self, { $0.where("id", .equal, conversationID) }),
                          c.status == (d.event == .conversationUnanswered ? .open : .waiting),
                          let store = try await tx.first(Store.self, { $0.where("id", .equal, c.storeID) }),
                          let customer = try await tx.first(Customer.self, { $0.where("id", .equal, c.customerID) })
                    else { return false }
                    let review = try await c.reviewID.asyncMap { id in try await tx.first(Review.self, { $0.where("id", .equal, id) }) } ?? nil
                    let product = try await review.asyncMap { r in try await tx.first(Product.self, { $0.where("id", .equal, r.productID) }) } ?? nil
                    return try await TriggerRunner.fireTimed(
                        triggerID: due.triggerID, d, subject: CareSubject(store: store, customer: customer, review: review, product: product, conversation: c),
                        guardKey: key, links: links, now: now, on: tx)
                }
                if didFire { fired += 1 }
            }
        }
        return fired
    }

    /// Conversations of the trigger's store silent since before `cutoff`, with the time the silence began.
    static func candidates(_ due: Due, cutoff: Date, limit: Int, on sql: any SQLDatabase) async throws -> [(UUID, Date)] {
        let status: ConversationStatus = due.definition.event == .conversationUnanswered ? .open : .waiting
        let since: SQLQueryString = due.definition.event == .conversationUnanswered
            ? "COALESCE(last_customer_at, created_at)" : "COALESCE(last_staff_at, created_at)"
        let notYet: SQLQueryString = due.definition.oncePerSubject
            ? "AND NOT EXISTS (SELECT 1 FROM trigger_firings f WHERE f.trigger_id = \(bind: due.triggerID) AND f.subject_id = conversations.id)"
            : ""
        return try await sql.raw("""
            SELECT id, \(since) AS since FROM conversations
            WHERE store_id = \(bind: due.storeID) AND status = \(bind: status.rawValue) AND \(since) <= \(bind: cutoff) \(notYet)
            ORDER BY since LIMIT \(bind: limit)
            """).all().map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "since", as: Date.self)) }
    }

    /// A stable id for one silence of a conversation: the conversation and when the silence began.
    static func episodeKey(_ conversationID: UUID, since: Date) -> UUID {
        let digest = Array(SHA256.hash(data: Data("\(conversationID.uuidString)|\(Int(since.timeIntervalSince1970 * 1000))".utf8)))
        return UUID(uuid: (digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                           digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]))
    }
}

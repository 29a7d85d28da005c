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

    /// Returns how many firings it made. Each trigger's candidates are walked in pages of `pageSize`
    /// with a cursor, so every one is looked at however many there are; and each sweep starts where the
    /// trigger's last one ended (`trigger_sweeps`), so it looks only at conversations whose silence
    /// crossed the line since, or that changed since: a conversation its conditions turned down is not
    /// evaluated again every sweep.
    @discardableResult
    public static func sweep(links: CareLinks, storage: CareStorage, on db: any Database, pageSize: Int = 200) async throws -> Int {
        let sql = db.sql
        let now = storage.now()
        let rows = try await sql.raw(
            """
            SELECT t.id, t.store_id, t.definition, s.swept_until, s.swept_at FROM triggers t
            LEFT JOIN trigger_sweeps s ON s.trigger_id = t.id
            WHERE t.enabled = \(bind: true) AND t.event IN \(SQLBind.group([TriggerEvent.conversationUnanswered.rawValue, TriggerEvent.conversationWaitingCustomer.rawValue]))
            """
        ).all()
        var fired = 0
        for row in rows {
            guard let d = TriggerCache.definition(try row.decode(column: "definition", as: String.self), rules: storage.rules),
                let minutes = d.afterMinutes
            else {
                continue
            }
            let due = Due(
                triggerID: try row.decode(column: "id", as: UUID.self), storeID: try row.decode(column: "store_id", as: UUID.self), definition: d)
            let cutoff = now.addingTimeInterval(-Double(minutes) * 60)
            // Conditions on facts that change without the conversation changing (time passing, the
            // customer's other orders and reviews) are looked at again on every sweep.
            let incremental = !d.conditions.readsChangingFacts
            let window = Window(
                cutoff: cutoff,
                crossedAfter: incremental ? try row.decode(column: "swept_until", as: Date?.self) ?? .distantPast : .distantPast,
                changedAfter: incremental ? try row.decode(column: "swept_at", as: Date?.self) ?? .distantPast : .distantPast)
            var after: (Date, UUID)?
            while true {
                let page = try await candidates(due, window, after: after, limit: pageSize, on: sql)
                for (conversationID, silentSince) in page {
                    if try await fire(due, conversationID: conversationID, silentSince: silentSince, links: links, storage: storage, now: now, on: db)
                    {
                        fired += 1
                    }
                }
                guard page.count == pageSize, let last = page.last else { break }
                after = (last.1, last.0)
            }
            try await storage.write(on: db) { tx in
                // Only forward: another node may have swept further meanwhile.
                try await tx.raw(
                    """
                    INSERT INTO trigger_sweeps (trigger_id, swept_until, swept_at) VALUES (\(bind: due.triggerID), \(bind: cutoff), \(bind: now))
                    ON CONFLICT (trigger_id) DO UPDATE SET swept_until = excluded.swept_until, swept_at = excluded.swept_at
                    WHERE trigger_sweeps.swept_until < excluded.swept_until
                    """
                ).run()
            }
        }
        return fired
    }

    /// Fires one time trigger on one conversation, if it still qualifies.
    static func fire(
        _ due: Due, conversationID: UUID, silentSince: Date, links: CareLinks, storage: CareStorage, now: Date,
        on db: any Database
    ) async throws -> Bool {
        let d = due.definition
        let key = d.oncePerSubject ? conversationID : episodeKey(conversationID, since: silentSince)
        return try await storage.write(on: db) { tx -> Bool in
            // Re-read in the transaction: a reply may have arrived since the scan.
            guard let c = try await ConversationThread.loadForChange(on: tx, { $0.where("id", .equal, conversationID) }),
                c.status == (d.event == .conversationUnanswered ? .open : .waiting),
                let subject = try await CareSubject.of(c, on: tx)
            else { return false }
            return try await TriggerRunner.fireTimed(triggerID: due.triggerID, d, subject: subject, guardKey: key, links: links, now: now, on: tx)
        }
    }

    /// What a sweep looks at: silences that began before `cutoff`, and either crossed the line since
    /// the last sweep's cutoff or belong to a conversation changed since the last sweep.
    struct Window {
        let cutoff: Date
        let crossedAfter: Date
        let changedAfter: Date
    }

    /// One page of the trigger's candidates in (silence start, id) order after `after`, with the time the silence began.
    static func candidates(_ due: Due, _ w: Window, after: (Date, UUID)?, limit: Int, on sql: any SQLDatabase) async throws -> [(UUID, Date)] {
        let status: ConversationStatus = due.definition.event == .conversationUnanswered ? .open : .waiting
        let since: SQLQueryString =
            due.definition.event == .conversationUnanswered
            ? "COALESCE(last_customer_at, created_at)" : "COALESCE(last_staff_at, created_at)"
        let notYet: SQLQueryString =
            due.definition.oncePerSubject
            ? "AND NOT EXISTS (SELECT 1 FROM trigger_firings f WHERE f.trigger_id = \(bind: due.triggerID) AND f.subject_id = conversations.id)"
            : ""
        let cursor: SQLQueryString = after.map { "AND (\(since) > \(bind: $0.0) OR (\(since) = \(bind: $0.0) AND id > \(bind: $0.1)))" } ?? ""
        return try await sql.raw(
            """
            SELECT id, \(since) AS since FROM conversations
            WHERE store_id = \(bind: due.storeID) AND status = \(bind: status.rawValue) AND \(since) <= \(bind: w.cutoff)
              AND (\(since) > \(bind: w.crossedAfter) OR updated_at > \(bind: w.changedAfter)) \(notYet) \(cursor)
            ORDER BY since, id LIMIT \(bind: limit)
            """
        ).all().map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "since", as: Date.self)) }
    }

    /// A stable id for one silence of a conversation: the conversation and when the silence began.
    static func episodeKey(_ conversationID: UUID, since: Date) -> UUID {
        let digest = Array(SHA256.hash(data: Data("\(conversationID.uuidString)|\(Int(since.timeIntervalSince1970 * 1000))".utf8)))
        return UUID(
            uuid: (
                digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]
            ))
    }
}

extension TriggerCondition {
    /// Whether a comparison reads a fact that can change while the conversation itself does not.
    var readsChangingFacts: Bool {
        switch self {
        case .all(let cs), .any(let cs): cs.contains { $0.readsChangingFacts }
        case .not(let c): c.readsChangingFacts
        case .compare(let attribute, _, _):
            attribute.changesWhileConversationSits
        }
    }
}

import FluentKit
import Foundation
import SQLKit

/// Taking deliveries off the outbox and recording how they went.
///
/// A worker claims due jobs by leasing them (`locked_until`); on PostgreSQL the claim skips rows
/// another node is claiming at the same moment (`FOR UPDATE SKIP LOCKED`), so two nodes never take
/// the same job. A mail that `follows` another waits (`Outbox.waiting`) until that one is delivered or dead.
/// A node that dies mid-delivery leaves its lease to run out, and the job is delivered
/// again, once, with the same Message-ID / webhook id so the receiver can tell.
public enum OutboxQueue {
    public struct Claimed: Sendable {
        public let id: UUID
        public let storeID: UUID
        public let kind: OutboxKind
        public let payload: OutboxPayload?
        public let rawPayload: String
        public let attempts: Int
        public let createdAt: Date
        /// 0: care (a customer waits for it), 1: bulk.
        public let lane: Int
    }

    public struct RetryPolicy: Sendable {
        /// The first retry waits about this long; each later one twice as long, up to `maxDelay`.
        public var baseDelay: TimeInterval
        public var maxDelay: TimeInterval
        /// How long a delivery keeps being retried before it is dead-lettered.
        public var window: TimeInterval

        public init(baseDelay: TimeInterval = 30, maxDelay: TimeInterval = 3600, window: TimeInterval = 24 * 3600) {
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
            self.window = window
        }

        /// Exponential with ±50 % jitter, so a recovering server isn't hit by every retry at once.
        public func delay(afterAttempt n: Int) -> TimeInterval {
            let exponential = min(maxDelay, baseDelay * pow(2, Double(max(0, n - 1))))
            return exponential * Double.random(in: 0.5...1.5)
        }
    }

    /// Leases up to `limit` due jobs. `excludingStores`: stores whose deliveries are at the worker's cap;
    /// `excludingWebhooksOf`: stores at their cap of webhook deliveries.
    /// `lane`: only that lane's jobs (0 care, 1 bulk: see `OutboxPayload.lane`), earliest first.
    public static func claim(
        limit: Int, lease: TimeInterval, kinds: [OutboxKind] = [.email, .webhook], lane: Int? = nil,
        excludingStores: [UUID] = [], excludingWebhooksOf: [UUID] = [], storage: CareStorage,
        on db: any Database
    ) async throws -> [Claimed] {
        let now = storage.now()
        return try await storage.write(on: db) { sql in
            let lockClause: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
            let notStores: SQLQueryString = excludingStores.isEmpty ? "" : "AND store_id NOT IN \(SQLBind.group(excludingStores))"
            let inLane: SQLQueryString = lane.map { "AND lane = \(bind: $0)" } ?? ""
            let notHooks: SQLQueryString =
                excludingWebhooksOf.isEmpty
                ? ""
                : "AND NOT (kind = \(bind: OutboxKind.webhook.rawValue) AND store_id IN \(SQLBind.group(excludingWebhooksOf)))"
            let rows = try await sql.raw(
                """
                UPDATE outbox SET locked_until = \(bind: now.addingTimeInterval(lease))
                WHERE id IN (
                    SELECT id FROM outbox
                    WHERE status = \(bind: OutboxStatus.pending.rawValue) AND next_attempt_at <= \(bind: now)
                      AND kind IN \(SQLBind.group(kinds.map(\.rawValue)))
                      AND (locked_until IS NULL OR locked_until < \(bind: now)) \(notStores) \(notHooks) \(inLane)
                      AND (follows IS NULL OR NOT EXISTS (
                          SELECT 1 FROM outbox AS earlier WHERE earlier.id = outbox.follows AND earlier.status = \(bind: OutboxStatus.pending.rawValue)))
                    ORDER BY lane, next_attempt_at LIMIT \(bind: limit)\(lockClause))
                RETURNING id, store_id, kind, payload, attempts, created_at, lane
                """
            ).all()
            return try rows.map { row in
                let raw = try row.decode(column: "payload", as: String.self)
                return Claimed(
                    id: try row.decode(column: "id", as: UUID.self), storeID: try row.decode(column: "store_id", as: UUID.self),
                    kind: OutboxKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .email,
                    payload: try? JSONDecoder().decode(OutboxPayload.self, from: Data(raw.utf8)), rawPayload: raw,
                    attempts: try row.decode(column: "attempts", as: Int.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self), lane: try row.decode(column: "lane", as: Int.self))
            }
        }
    }

    /// Extends the leases of deliveries still in progress.
    public static func renew(_ ids: [UUID], lease: TimeInterval, storage: CareStorage, on db: any Database) async throws {
        let until = storage.now().addingTimeInterval(lease)
        try await storage.write(on: db) { sql in
            try await sql.raw(
                """
                UPDATE outbox SET locked_until = \(bind: until)
                WHERE id IN \(SQLBind.group(ids)) AND status = \(bind: OutboxStatus.pending.rawValue)
                """
            ).run()
        }
    }

    /// Gives claimed jobs back untouched (no attempt counted), for another claim to take.
    public static func release(_ ids: [UUID], storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { sql in
            try await sql.raw("UPDATE outbox SET locked_until = NULL WHERE id IN \(SQLBind.group(ids))").run()
        }
    }

    /// What a delivery records besides its own completion (a mail's Message-ID on its message), in the same write.
    public typealias Completion = @Sendable (any SQLDatabase) async throws -> Void

    public static func delivered(_ job: Claimed, also: Completion? = nil, storage: CareStorage, on db: any Database) async throws {
        try await delivered([(job, also)], storage: storage, on: db)
    }

    /// Several deliveries done, recorded in one write.
    public static func delivered(_ jobs: [(job: Claimed, also: Completion?)], storage: CareStorage, on db: any Database) async throws {
        guard !jobs.isEmpty else { return }
        let now = storage.now()
        try await storage.write(on: db) { sql in
            for (_, also) in jobs { try await also?(sql) }
            try await sql.raw(
                """
                UPDATE outbox SET status = \(bind: OutboxStatus.delivered.rawValue), delivered_at = \(bind: now),
                    attempts = attempts + 1, locked_until = NULL, last_error = NULL
                WHERE id IN \(SQLBind.group(jobs.map(\.job.id)))
                """
            ).run()
            try await releaseFollowers(of: jobs.map(\.job.id), now: now, on: sql)
        }
    }

    /// When a waiting mail may go once it stops waiting: now, or when its own undo window ends.
    private static func dueWhenReleased(now: Date, on sql: any SQLDatabase) -> SQLQueryString {
        let greatest: SQLQueryString = sql.dialect.name == "postgresql" ? "GREATEST" : "MAX"
        return "\(greatest)(\(bind: now), COALESCE((SELECT u.until FROM undo_actions AS u WHERE u.id = outbox.action_id), \(bind: now)))"
    }

    /// The mails that waited for `ids` (delivered or dead now) come due, in the caller's write.
    static func releaseFollowers(of ids: [UUID], now: Date, on sql: any SQLDatabase) async throws {
        guard !ids.isEmpty else { return }
        try await sql.raw(
            """
            UPDATE outbox SET next_attempt_at = \(dueWhenReleased(now: now, on: sql))
            WHERE follows IN \(SQLBind.group(ids)) AND status = \(bind: OutboxStatus.pending.rawValue)
              AND next_attempt_at >= \(bind: Outbox.waiting)
            """
        ).run()
    }

    /// Waiting mails one round looks at, so the write it holds stays short however many wait. Those
    /// looked at leave the waiting set as their lines move (at the latest when an earlier mail's
    /// retries end), so later rounds reach the rest.
    static let strandedPerRound = 1000

    /// Waiting mails whose earlier mail is gone or no longer pending (removed with a customer, taken
    /// back by an undo) come due; `conversationID` narrows it to one conversation. A chain never
    /// stalls on a row that vanished. Returns how many.
    @discardableResult
    static func releaseStranded(conversationID: UUID? = nil, now: Date, on sql: any SQLDatabase) async throws -> Int {
        let narrow: SQLQueryString = conversationID.map { "AND conversation_id = \(bind: $0)" } ?? ""
        let rows = try await sql.raw(
            """
            UPDATE outbox SET next_attempt_at = \(dueWhenReleased(now: now, on: sql))
            WHERE id IN (
                SELECT id FROM outbox WHERE status = \(bind: OutboxStatus.pending.rawValue) AND next_attempt_at >= \(bind: Outbox.waiting) \(narrow)
                LIMIT \(bind: strandedPerRound))
              AND NOT EXISTS (
                  SELECT 1 FROM outbox AS earlier WHERE earlier.id = outbox.follows AND earlier.status = \(bind: OutboxStatus.pending.rawValue))
            RETURNING id
            """
        ).all()
        return rows.count
    }

    /// The periodic safety net for `releaseStranded`, in its own write.
    public static func releaseStranded(storage: CareStorage, on db: any Database) async throws -> Int {
        try await storage.write(on: db) { sql in try await releaseStranded(now: storage.now(), on: sql) }
    }

    /// Records a failed attempt: retried later, or dead-lettered when it cannot succeed or its window is over.
    @discardableResult
    public static func failed(
        _ job: Claimed, error: String, transient: Bool, policy: RetryPolicy,
        storage: CareStorage, on db: any Database
    ) async throws -> OutboxStatus {
        let now = storage.now()
        let attempts = job.attempts + 1
        let next = now.addingTimeInterval(policy.delay(afterAttempt: attempts))
        let dead = !transient || next.timeIntervalSince(job.createdAt) > policy.window
        let status: OutboxStatus = dead ? .dead : .pending
        try await storage.write(on: db) { sql in
            try await sql.raw(
                """
                UPDATE outbox SET status = \(bind: status.rawValue), attempts = \(bind: attempts), next_attempt_at = \(bind: next),
                    locked_until = NULL, last_error = \(bind: String(error.prefix(1000)))
                WHERE id = \(bind: job.id)
                """
            ).run()
            if dead { try await releaseFollowers(of: [job.id], now: now, on: sql) }
        }
        return status
    }

    /// Puts a dead-lettered delivery of this store back in line for one more attempt now.
    @discardableResult
    public static func retryDead(id: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws -> OutboxJob {
        guard let job = try await OutboxJob.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).first()
        else { throw CareError.notFound("delivery") }
        guard job.status == .dead else {
            throw CareError.notDead(message: "only dead-lettered deliveries can be retried by hand")
        }
        let now = storage.now()
        try await storage.write(on: db) { sql in
            try await sql.raw(
                """
                UPDATE outbox SET status = \(bind: OutboxStatus.pending.rawValue), next_attempt_at = \(bind: now), locked_until = NULL
                WHERE id = \(bind: id)
                """
            ).run()
            WriteEffects.noteQueuedDelivery()
        }
        job.status = .pending
        job.nextAttemptAt = now
        return job
    }

    /// An email to a staff member (a test mail, an invitation), through the outbox like every email.
    public static func enqueueStaffMail(
        to: String, subject: String, body: String, storeID: UUID, storage: CareStorage,
        on db: any Database
    ) async throws {
        try await storage.write(on: db) { sql in
            try await Outbox.enqueue(.staffNotification(to: [to], subject: subject, body: body), storeID: storeID, now: storage.now(), on: sql)
        }
    }
}

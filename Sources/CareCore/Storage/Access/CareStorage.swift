import FluentKit
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// How CareCore writes: every write is a body that runs inside one transaction and talks SQL
/// (SQLKit), so the same code runs on both backends.
///
/// SQLite has one writer at a time, and a commit costs a sync of the WAL. Writes from this process
/// therefore go through a `WriteQueue` that runs whatever is waiting as one batch in a single
/// `BEGIN IMMEDIATE … COMMIT` (group commit) on a connection driven directly, statement by statement
/// without thread hops. Each caller still gets its own result only after the commit.
///
/// PostgreSQL takes concurrent writers itself; each write is its own transaction, retried when it lost
/// a race on a unique key (two first reviews of a new product arriving together).
public struct CareStorage: Sendable {
    public let queue: WriteQueue?
    public let now: @Sendable () -> Date
    /// Whether an error means the connection itself is gone (PostgreSQL restarting): then the
    /// transaction is not rolled back on it (the server ended it; a ROLLBACK sent on a closing
    /// connection was seen to never return, holding the request and the pooled connection forever).
    let connectionLost: @Sendable (any Error) -> Bool
    /// Whether an error means the database chose this transaction to give way to another (a
    /// deadlock or serialization failure on PostgreSQL): it is rolled back and run again, as a race
    /// on a unique key is. Two writes that each change several tallied rows can lock them in
    /// opposite orders; PostgreSQL then ends one of them, and the person sees only a short wait.
    let gaveWay: @Sendable (any Error) -> Bool
    /// Runs after every committed write with what it did (wakes the outbox worker, say).
    let afterCommit: @Sendable (WriteEffects) -> Void
    /// This application's cache of each store's triggers and webhooks: writes read through it, and
    /// clear what they changed once committed.
    public let rules: StoreRulesCache

    /// `sqlitePath` is the database file when the backend is SQLite, nil for PostgreSQL.
    public init(
        sqlitePath: String?, now: @escaping @Sendable () -> Date = { Date() },
        connectionLost: @escaping @Sendable (any Error) -> Bool = { _ in false },
        gaveWay: @escaping @Sendable (any Error) -> Bool = { _ in false },
        rules: StoreRulesCache = StoreRulesCache(),
        afterCommit: @escaping @Sendable (WriteEffects) -> Void = { _ in }
    ) {
        self.init(
            queue: sqlitePath.map { WriteQueue(path: $0) }, now: now, connectionLost: connectionLost, gaveWay: gaveWay, rules: rules,
            afterCommit: afterCommit)
    }

    private init(
        queue: WriteQueue?, now: @escaping @Sendable () -> Date, connectionLost: @escaping @Sendable (any Error) -> Bool,
        gaveWay: @escaping @Sendable (any Error) -> Bool, rules: StoreRulesCache, afterCommit: @escaping @Sendable (WriteEffects) -> Void
    ) {
        self.queue = queue
        self.now = now
        self.connectionLost = connectionLost
        self.gaveWay = gaveWay
        self.rules = rules
        self.afterCommit = afterCommit
    }

    /// The same writer with another clock (tests of deadlines, jobs that act "as of" a time).
    public func withClock(_ now: @escaping @Sendable () -> Date) -> CareStorage {
        CareStorage(queue: queue, now: now, connectionLost: connectionLost, gaveWay: gaveWay, rules: rules, afterCommit: afterCommit)
    }

    /// Runs `body` in a write transaction, then the after-commit hook with what it did. The body may
    /// run more than once (a retry, or a batch replayed alone after another job's failure), so it must
    /// only touch the database.
    public func write<T: Sendable>(
        on db: any Database, attempts: Int = 3, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let effects = WriteEffects(rules: rules)
        let noting: @Sendable (any SQLDatabase) async throws -> T = { sql in
            effects.reset()
            return try await WriteEffects.$current.withValue(effects) { try await body(sql) }
        }
        let result = try await committed(on: db, attempts: attempts, noting)
        rules.invalidate(stores: effects.changedRules)
        afterCommit(effects)
        return result
    }

    private func committed<T: Sendable>(
        on db: any Database, attempts: Int, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        if let queue {
            let result = try await queue.submit(on: db) { try await body($0) as any Sendable }
            guard let typed = result as? T else { fatalError("write queue returned \(type(of: result)), expected \(T.self)") }
            return typed
        }
        var attempt = 1
        while true {
            do {
                return try await withinDeadline(Self.transactionDeadline) { try await self.transaction(on: db, body) }
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < attempts {
                attempt += 1
            } catch  where gaveWay(error) && attempt < attempts + 2 {
                attempt += 1
            }
        }
    }

    /// BEGIN, the body, COMMIT on one pooled connection; ROLLBACK after a failure, unless the
    /// connection itself was lost (the server has ended the transaction then), and never waiting on it
    /// for more than a few seconds.
    private func transaction<T: Sendable>(on db: any Database, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let lost = connectionLost
        return try await db.withConnection { conn in
            let sql = conn.sql
            try await sql.raw("BEGIN").run()
            do {
                let result = try await body(sql)
                // Given up on (the caller was answered 503): roll back rather than commit behind its back.
                try Task.checkCancellation()
                try await sql.raw("COMMIT").run()
                return result
            } catch {
                if !lost(error) {
                    _ = try? await Self.within(seconds: 5) { try await sql.raw("ROLLBACK").run() }
                }
                throw error
            }
        }
    }

    /// A PostgreSQL transaction that has not finished in this long is given up on (answered 503): a
    /// query caught by a server restart was seen never to return.
    static let transactionDeadline: Double = 5

    private func withinDeadline<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let box = NIOLockedValueBox<T?>(nil)
        try await Deadline.run(seconds: seconds, orThrow: { StorageTimeout(seconds: seconds) }) {
            box.withLockedValue { $0 = nil }
            let r = try await body()
            box.withLockedValue { $0 = r }
        }
        guard let result = box.withLockedValue({ $0 }) else { throw StorageTimeout(seconds: seconds) }
        return result
    }

    /// Runs `body`, giving up on waiting for it after `seconds`.
    static func within(seconds: Double, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await Deadline.run(seconds: seconds, orThrow: { CancellationError() }, body)
    }
}

/// The database did not answer a write in time: like an outage, the request is answered 503.
public struct StorageTimeout: Error, CustomStringConvertible {
    public let seconds: Double
    public init(seconds: Double) { self.seconds = seconds }
    public var description: String { "the database did not answer within \(Int(seconds)) s" }
}

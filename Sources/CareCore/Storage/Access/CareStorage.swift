import FluentKit
import Foundation
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

    /// `sqlitePath` is the database file when the backend is SQLite, nil for PostgreSQL.
    public init(sqlitePath: String?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.queue = sqlitePath.map { WriteQueue(path: $0) }
        self.now = now
    }

    private init(queue: WriteQueue?, now: @escaping @Sendable () -> Date) {
        self.queue = queue
        self.now = now
    }

    /// The same writer with another clock (tests of deadlines, jobs that act "as of" a time).
    public func withClock(_ now: @escaping @Sendable () -> Date) -> CareStorage {
        CareStorage(queue: queue, now: now)
    }

    /// Runs `body` in a write transaction. The body may run more than once (a retry, or a batch
    /// replayed alone after another job's failure), so it must only touch the database.
    public func write<T: Sendable>(
        on db: any Database, attempts: Int = 3, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        if let queue {
            let result = try await queue.submit(on: db) { try await body($0) as any Sendable }
            guard let typed = result as? T else { fatalError("write queue returned \(type(of: result)), expected \(T.self)") }
            return typed
        }
        var attempt = 1
        while true {
            do {
                return try await db.transaction { tx in
                    guard let sql = tx as? any SQLDatabase else { fatalError("CareLoop runs on SQL databases only") }
                    return try await body(sql)
                }
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < attempts {
                attempt += 1
            }
        }
    }
}

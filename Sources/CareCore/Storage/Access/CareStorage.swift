import FluentKit
import Foundation

/// How CareCore writes.
///
/// SQLite has one writer at a time, and a commit costs a sync of the WAL. Write transactions from
/// this process therefore go through a `WriteQueue` that runs whatever is waiting as one batch in a
/// single `BEGIN IMMEDIATE … COMMIT` (group commit): many reviews per sync, and no two connections
/// ever race for the write lock. Each caller still gets its own result only after the commit.
///
/// PostgreSQL takes concurrent writers itself; each write is its own transaction, retried when it lost
/// a race on a unique key (two first reviews of a new product arriving together).
public struct CareStorage: Sendable {
    public let queue: WriteQueue?
    public let now: @Sendable () -> Date

    public init(serializeWrites: Bool, now: @escaping @Sendable () -> Date = { Date() }) {
        self.queue = serializeWrites ? WriteQueue() : nil
        self.now = now
    }

    /// Runs `body` in a write transaction. The body may run more than once (a retry, or a batch
    /// replayed alone after another job's failure), so it must only touch the database.
    public func write<T: Sendable>(
        on db: any Database, attempts: Int = 3, _ body: @escaping @Sendable (any Database) async throws -> T
    ) async throws -> T {
        if let queue {
            let result = try await queue.submit(on: db) { try await body($0) as any Sendable }
            guard let typed = result as? T else { fatalError("write queue returned \(type(of: result)), expected \(T.self)") }
            return typed
        }
        var attempt = 1
        while true {
            do {
                return try await db.transaction(body)
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < attempts {
                attempt += 1
            }
        }
    }
}

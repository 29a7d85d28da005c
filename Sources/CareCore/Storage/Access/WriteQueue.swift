import FluentKit
import SQLKit

/// Group commit for SQLite. Jobs that arrive while a batch is being written wait for the next batch;
/// a batch runs every waiting job, in arrival order, inside one `BEGIN IMMEDIATE … COMMIT`.
///
/// If any job in a batch throws, the batch is rolled back and each of its jobs is run again alone,
/// so one bad job never costs the others their writes and every caller gets its own outcome.
public actor WriteQueue {
    typealias Body = @Sendable (any Database) async throws -> any Sendable

    private struct Job {
        let body: Body
        let done: CheckedContinuation<any Sendable, any Error>
    }

    private var waiting: [Job] = []
    private var draining = false
    private let maxBatch: Int
    /// Batches written and jobs they carried, for tests and the benchmark to see batching happen.
    public private(set) var batches = 0
    public private(set) var jobs = 0

    public init(maxBatch: Int = 256) {
        self.maxBatch = maxBatch
    }

    func submit(on db: any Database, _ body: @escaping Body) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { done in
            waiting.append(Job(body: body, done: done))
            if !draining {
                draining = true
                Task { await self.drain(on: db) }
            }
        }
    }

    private func drain(on db: any Database) async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(maxBatch))
            waiting.removeFirst(batch.count)
            batches += 1
            jobs += batch.count
            await Self.write(batch, on: db)
        }
        draining = false
    }

    /// Not isolated to the actor: new jobs keep queueing while this batch is on disk.
    private nonisolated static func write(_ batch: [Job], on db: any Database) async {
        do {
            let results = try await inTransaction(on: db) { conn in
                var out: [any Sendable] = []
                for job in batch { out.append(try await job.body(conn)) }
                return out
            }
            for (job, result) in zip(batch, results) { job.done.resume(returning: result) }
        } catch {
            guard batch.count > 1 else {
                batch[0].done.resume(throwing: error)
                return
            }
            for job in batch {
                do {
                    let result = try await inTransaction(on: db) { conn in try await job.body(conn) }
                    job.done.resume(returning: result)
                } catch {
                    job.done.resume(throwing: error)
                }
            }
        }
    }

    private nonisolated static func inTransaction<T: Sendable>(
        on db: any Database, _ body: @escaping @Sendable (any Database) async throws -> T
    ) async throws -> T {
        try await db.withConnection { conn in
            guard let sql = conn as? any SQLDatabase else { fatalError("CareLoop runs on SQL databases only") }
            // IMMEDIATE takes the write lock up front, so a transaction that reads first never
            // fails later on upgrade; another process holding the lock is waited for.
            try await sql.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(conn)
                try await sql.raw("COMMIT").run()
                return result
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }
}

import FluentKit
import NIOPosix
import SQLKit

/// Group commit for SQLite. Jobs that arrive while a batch is being written wait for the next batch;
/// a batch runs every waiting job, in arrival order, inside one `BEGIN IMMEDIATE … COMMIT` on this
/// process's single write connection.
///
/// If any job in a batch throws, the batch is rolled back and each of its jobs is run again alone,
/// so one bad job never costs the others their writes and every caller gets its own outcome.
public actor WriteQueue {
    typealias Body = @Sendable (any SQLDatabase) async throws -> any Sendable

    private struct Job {
        let body: Body
        let done: CheckedContinuation<any Sendable, any Error>
    }

    private let path: String
    private var handle: SQLiteHandle?
    private var waiting: [Job] = []
    private var draining = false
    private let maxBatch: Int
    /// Batches written and jobs they carried, for tests and the benchmark to see batching happen.
    public private(set) var batches = 0
    public private(set) var jobs = 0

    public init(path: String, maxBatch: Int = 256) {
        self.path = path
        self.maxBatch = maxBatch
    }

    func submit(on db: any Database, _ body: @escaping Body) async throws -> any Sendable {
        let handle = try openHandle()
        return try await withCheckedThrowingContinuation { done in
            waiting.append(Job(body: body, done: done))
            if !draining {
                draining = true
                let sql = DirectSQLiteDatabase(handle: handle, logger: db.logger, eventLoop: db.eventLoop)
                Task { await self.drain(on: sql) }
            }
        }
    }

    private func openHandle() throws -> SQLiteHandle {
        if let handle { return handle }
        let opened = try SQLiteHandle(path: path)
        handle = opened
        return opened
    }

    private func drain(on sql: DirectSQLiteDatabase) async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(maxBatch))
            waiting.removeFirst(batch.count)
            batches += 1
            jobs += batch.count
            await Self.write(batch, on: sql)
        }
        draining = false
    }

    /// Not isolated to the actor: new jobs keep queueing while this batch is written.
    private nonisolated static func write(_ batch: [Job], on sql: DirectSQLiteDatabase) async {
        do {
            let results = try await inTransaction(on: sql) { sql in
                var out: [any Sendable] = []
                for job in batch { out.append(try await job.body(sql)) }
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
                    let result = try await inTransaction(on: sql) { sql in try await job.body(sql) }
                    job.done.resume(returning: result)
                } catch {
                    job.done.resume(throwing: error)
                }
            }
        }
    }

    private nonisolated static func inTransaction<T: Sendable>(
        on sql: DirectSQLiteDatabase, _ body: (DirectSQLiteDatabase) async throws -> T
    ) async throws -> T {
        // IMMEDIATE takes the write lock up front, so a transaction that reads first never fails
        // later on upgrade. BEGIN may wait for another process's lock and COMMIT waits for the disk,
        // so both run on the blocking-work pool; the statements in between take microseconds and
        // run inline.
        let handle = sql.handle
        try await NIOThreadPool.singleton.runIfActive { try handle.execute("BEGIN IMMEDIATE") }
        do {
            let result = try await body(sql)
            try await NIOThreadPool.singleton.runIfActive { try handle.execute("COMMIT") }
            return result
        } catch {
            try? handle.execute("ROLLBACK")
            throw error
        }
    }
}

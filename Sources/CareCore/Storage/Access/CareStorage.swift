import FluentKit
import Foundation

/// How CareCore writes. On SQLite, write transactions from one process are queued here rather than
/// left to collide inside SQLite (a deferred transaction that reads, then writes after another
/// connection committed, fails at once instead of waiting). On PostgreSQL writers run side by side,
/// and a transaction that lost a race on a unique key (two first reviews of a new product) is retried.
public struct CareStorage: Sendable {
    public let gate: WriteGate?
    public let now: @Sendable () -> Date

    public init(serializeWrites: Bool, now: @escaping @Sendable () -> Date = { Date() }) {
        self.gate = serializeWrites ? WriteGate() : nil
        self.now = now
    }

    public func write<T: Sendable>(
        on db: any Database, attempts: Int = 3, _ body: @escaping @Sendable (any Database) async throws -> T
    ) async throws -> T {
        if let gate { await gate.acquire() }
        do {
            let result = try await transaction(on: db, attempts: attempts, body)
            if let gate { await gate.release() }
            return result
        } catch {
            if let gate { await gate.release() }
            throw error
        }
    }

    private func transaction<T: Sendable>(
        on db: any Database, attempts: Int, _ body: @escaping @Sendable (any Database) async throws -> T
    ) async throws -> T {
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

/// A first-come, first-served lock for async code.
public actor WriteGate {
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    public func release() {
        if waiting.isEmpty {
            held = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}

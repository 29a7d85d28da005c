import CSQLite
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The read connections of one SQLite file, owned by CareLoop (the write connection belongs to the
/// `WriteQueue`). In WAL mode readers never wait for the writer, so several can read at once.
///
/// A read runs inline on the task that asks for it: no hop to a thread pool and back. Only a caller
/// on an event-loop thread (a future chain) is moved to the blocking-work pool, so no event loop
/// ever waits for the disk. When every connection is busy the caller waits its turn; the queue of
/// waiting callers is bounded, and past it a read fails as "busy" (answered 503).
public final class SQLiteConnections: Sendable {
    public let path: String
    let maxConnections: Int
    let maxWaiting: Int

    private struct State {
        var idle: [SQLiteHandle] = []
        var opened = 0
        var waiting: [@Sendable (Result<SQLiteHandle, any Error>) -> Void] = []
        var waitingStart = 0
        var closed = false
    }
    private let state = NIOLockedValueBox(State())

    public init(path: String, maxConnections: Int = 8, maxWaiting: Int = 10_000) {
        self.path = path
        self.maxConnections = max(1, maxConnections)
        self.maxWaiting = maxWaiting
    }

    /// Reads waiting for a connection (for tests).
    var waitingCount: Int { state.withLockedValue { $0.waiting.count - $0.waitingStart } }

    /// Closes the idle connections; busy ones close when they come back.
    public func close() {
        let waiters = state.withLockedValue { state -> [@Sendable (Result<SQLiteHandle, any Error>) -> Void] in
            state.closed = true
            state.idle.removeAll()
            let waiters = Array(state.waiting[state.waitingStart...])
            state.waiting.removeAll()
            state.waitingStart = 0
            return waiters
        }
        for waiter in waiters { waiter(.failure(Self.closedError)) }
    }

    /// Runs `body` with a connection of its own, inline when the caller is a task and a connection
    /// is free; otherwise on the blocking-work pool once one is.
    func withHandle<T: Sendable>(on eventLoop: any EventLoop, _ body: @escaping @Sendable (SQLiteHandle) throws -> T) -> EventLoopFuture<T> {
        if !MultiThreadedEventLoopGroupCheck.onEventLoop {
            do {
                if let handle = try takeIdle() {
                    defer { giveBack(handle) }
                    return eventLoop.makeSucceededFuture(try body(handle))
                }
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
        }
        return checkout(on: eventLoop).flatMap { handle in
            NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
                defer { self.giveBack(handle) }
                return try body(handle)
            }
        }
    }

    /// The same for async callers: inline when a connection is free, else after waiting for one.
    func withHandle<T: Sendable>(_ body: @Sendable (SQLiteHandle) throws -> T) async throws -> T {
        if !MultiThreadedEventLoopGroupCheck.onEventLoop, let handle = try takeIdle() {
            defer { giveBack(handle) }
            return try body(handle)
        }
        let handle = try await withCheckedThrowingContinuation { continuation in
            wait { continuation.resume(with: $0) }
        }
        defer { giveBack(handle) }
        return try body(handle)
    }

    /// A connection held until `giveBack` (a transaction, or `withConnection`).
    func checkout(on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteHandle> {
        do {
            if let handle = try takeIdle() { return eventLoop.makeSucceededFuture(handle) }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let promise = eventLoop.makePromise(of: SQLiteHandle.self)
        wait { promise.completeWith($0) }
        return promise.futureResult
    }

    func giveBack(_ handle: SQLiteHandle) {
        let waiter = state.withLockedValue { state -> (@Sendable (Result<SQLiteHandle, any Error>) -> Void)? in
            if state.closed {
                state.opened -= 1
                return nil
            }
            guard state.waitingStart < state.waiting.count else {
                state.idle.append(handle)
                return nil
            }
            let next = state.waiting[state.waitingStart]
            state.waitingStart += 1
            if state.waitingStart == state.waiting.count {
                state.waiting.removeAll(keepingCapacity: true)
                state.waitingStart = 0
            }
            return next
        }
        waiter?(.success(handle))
    }

    /// An idle connection, or a new one while fewer than `maxConnections` are open; nil when all are busy.
    private func takeIdle() throws -> SQLiteHandle? {
        enum Take {
            case handle(SQLiteHandle)
            case open
            case none
        }
        let take = try state.withLockedValue { state -> Take in
            guard !state.closed else { throw Self.closedError }
            if let handle = state.idle.popLast() { return .handle(handle) }
            guard state.opened < maxConnections else { return .none }
            state.opened += 1
            return .open
        }
        switch take {
        case .handle(let handle): return handle
        case .none: return nil
        case .open:
            do {
                return try SQLiteHandle(path: path, writer: false)
            } catch {
                state.withLockedValue { $0.opened -= 1 }
                throw error
            }
        }
    }

    private func wait(_ waiter: @escaping @Sendable (Result<SQLiteHandle, any Error>) -> Void) {
        let refused = state.withLockedValue { state -> (any Error)? in
            if state.closed { return Self.closedError }
            guard state.waiting.count - state.waitingStart < maxWaiting else { return Self.busyError }
            state.waiting.append(waiter)
            return nil
        }
        if let refused {
            waiter(.failure(refused))
            return
        }
        // A connection may have come back between the failed take and the append: try again once.
        if let handle = try? takeIdle() { giveBack(handle) }
    }

    static let closedError = DirectSQLiteError(code: SQLITE_MISUSE, message: "the SQLite read connections are closed")
    static let busyError = DirectSQLiteError(code: SQLITE_BUSY, message: "every SQLite read connection is busy and too many reads wait")
}

import CSQLite
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The read connections of one SQLite file, owned by CareLoop (the write connection belongs to the
/// `WriteQueue`). In WAL mode readers never wait for the writer, so several can read at once.
///
/// Most reads take microseconds, less than a hop to another thread and back, so a read first runs
/// inline on the task that asks for it. But a task's thread is one of Swift's few cooperative
/// threads (one per core), which every request needs: a read may hold one for `inlineBudget` at
/// most (of its CPU time). A read still running then is stopped and run again on one of this file's
/// reader threads, where it may take up to `maxReadTime` from when it was asked for (the request's
/// own deadline: after that nobody waits for its answer, so it is interrupted rather than left to
/// burn a core), without holding up anyone else. Callers on an event-loop thread go to the reader
/// threads directly. Moved reads wait in a bounded queue; past it a read fails as "busy" (503).
public final class SQLiteConnections: Sendable {
    public let path: String
    /// Idle connections kept open; more are opened while more readers run at once.
    let maxIdle: Int
    /// Reads moved to the reader threads and not finished (running or queued), at most.
    let maxMoved: Int
    let inlineBudgetNanos: UInt64
    let maxReadNanos: UInt64
    private let readers: NIOThreadPool

    private struct State {
        var idle: [SQLiteHandle] = []
        var moved = 0
        var closed = false
    }
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - readerThreads: threads for reads over their inline budget (and for event-loop callers).
    ///   - inlineBudget: the CPU time a read may take on a caller's thread; zero runs every read on the readers.
    ///   - maxReadTime: from the moment a moved read is asked for until it is given up (queued or running).
    public init(
        path: String, readerThreads: Int = System.coreCount, maxIdle: Int = 8, maxMoved: Int = 64,
        inlineBudget: TimeAmount = .milliseconds(2), maxReadTime: TimeAmount = .seconds(10)
    ) {
        self.path = path
        self.maxIdle = max(1, maxIdle)
        self.maxMoved = max(1, maxMoved)
        self.inlineBudgetNanos = UInt64(max(0, inlineBudget.nanoseconds))
        self.maxReadNanos = UInt64(max(1, maxReadTime.nanoseconds))
        readers = NIOThreadPool(numberOfThreads: max(1, readerThreads))
        readers._start(threadNamePrefix: "sqlite-reader-")
    }

    /// Closes the idle connections (busy ones close when they come back) and stops the reader threads.
    public func close() {
        let first = state.withLockedValue { state -> Bool in
            defer {
                state.closed = true
                state.idle.removeAll()
            }
            return !state.closed
        }
        if first { readers.shutdownGracefully { _ in } }
    }

    /// Reads moved to the reader threads and not finished (for tests).
    var movedCount: Int { state.withLockedValue { $0.moved } }

    /// Runs `body` with a connection of its own: inline first, on a reader thread if it runs long.
    func withHandle<T: Sendable>(_ body: @escaping @Sendable (SQLiteHandle) throws -> T) async throws -> T {
        if !MultiThreadedEventLoopGroupCheck.onEventLoop, let done = try inline(body) { return try done.get() }
        return try await moved(body)
    }

    /// The same for callers that want a future (Fluent's query API).
    func withHandle<T: Sendable>(on eventLoop: any EventLoop, _ body: @escaping @Sendable (SQLiteHandle) throws -> T) -> EventLoopFuture<T> {
        do {
            if !MultiThreadedEventLoopGroupCheck.onEventLoop, let done = try inline(body) {
                return eventLoop.makeCompletedFuture(done)
            }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        return eventLoop.makeFutureWithTask { try await self.moved(body) }
    }

    /// The inline attempt: its result, or nil when the read ran past its budget and must move.
    private func inline<T>(_ body: (SQLiteHandle) throws -> T) throws -> Result<T, any Error>? {
        guard inlineBudgetNanos > 0 else { return nil }
        let handle = try take()
        defer { giveBack(handle) }
        handle.inlineBudgetNanos = inlineBudgetNanos
        defer { handle.inlineBudgetNanos = 0 }
        do {
            return .success(try body(handle))
        } catch is SQLiteHandle.OverInlineBudget {
            return nil
        } catch {
            return .failure(error)
        }
    }

    /// On a reader thread, with no time limit; a cancelled caller interrupts its statement.
    private func moved<T: Sendable>(_ body: @escaping @Sendable (SQLiteHandle) throws -> T) async throws -> T {
        try state.withLockedValue { state in
            guard !state.closed else { throw Self.closedError }
            guard state.moved < maxMoved else { throw Self.busyError }
            state.moved += 1
        }
        defer { state.withLockedValue { $0.moved -= 1 } }
        let stopAt = DispatchTime.now().uptimeNanoseconds + maxReadNanos
        // Cancelled (by a task that can cancel): stop before starting, or interrupt the statement.
        let running = NIOLockedValueBox<(cancelled: Bool, handle: SQLiteHandle?, run: UInt64)>((false, nil, 0))
        return try await withTaskCancellationHandler {
            try await readers.runIfActive {
                guard DispatchTime.now().uptimeNanoseconds < stopAt, !running.withLockedValue({ $0.cancelled }) else {
                    throw Self.givenUpError
                }
                let handle = try self.take()
                defer { self.giveBack(handle) }
                running.withLockedValue { $0 = ($0.cancelled, handle, handle.beginRun()) }
                handle.stopAt = stopAt
                defer {
                    handle.stopAt = 0
                    handle.endRun()
                    running.withLockedValue { $0.handle = nil }
                }
                return try body(handle)
            }
        } onCancel: {
            running.withLockedValue {
                $0.cancelled = true
                if let handle = $0.handle { handle.interrupt(run: $0.run) }
            }
        }
    }

    /// A connection held until `giveBack` (a transaction, or `withConnection`).
    func checkout(on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteHandle> {
        eventLoop.makeCompletedFuture { try take() }
    }

    /// An idle connection, or a new one. Never waits: how many run at once is bounded by the threads
    /// that can use them (the cooperative threads, the reader threads, and open transactions).
    private func take() throws -> SQLiteHandle {
        let idle = try state.withLockedValue { state -> SQLiteHandle? in
            guard !state.closed else { throw Self.closedError }
            return state.idle.popLast()
        }
        return try idle ?? SQLiteHandle(path: path, writer: false)
    }

    func giveBack(_ handle: SQLiteHandle) {
        state.withLockedValue { state in
            guard !state.closed, state.idle.count < maxIdle else { return }
            state.idle.append(handle)
        }
    }

    // Both answered 503: CANTOPEN while shutting down, INTERRUPT for a read given up.
    static let closedError = DirectSQLiteError(code: SQLITE_CANTOPEN, message: "the SQLite read connections are closed")
    static let givenUpError = DirectSQLiteError(code: SQLITE_INTERRUPT, message: "a long SQLite read waited past its request's deadline")
    static let busyError = DirectSQLiteError(code: SQLITE_BUSY, message: "too many long SQLite reads are waiting")
}

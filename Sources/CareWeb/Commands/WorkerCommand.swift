@preconcurrency import Dispatch
import NIOConcurrencyHelpers
import Vapor

#if canImport(Glibc)
    import Glibc
#endif

/// `careloop worker`: the background role without HTTP. It runs the outbox worker and the periodic
/// jobs itself (the same list `serve` runs, see `BackgroundWork`) until SIGINT or SIGTERM, then stops
/// them. Stopping mid-delivery is safe: a leased delivery is taken up again when its lease runs out.
struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Delivers queued emails and webhooks and runs the periodic jobs, without serving HTTP, until stopped." }

    func run(using context: CommandContext, signature: Signature) async throws {
        // Signals are caught before anything starts, so a stop sent at once is a clean stop too.
        let stop = StopSignal.install()
        let app = context.application
        let work = BackgroundWork.handlers(config: app.care.config, outbox: true, periodic: true)
        for handler in work { try await handler.didBootAsync(app) }
        context.console.print("Delivering the outbox and running the periodic jobs; Ctrl-C to stop.")
        await stop.wait()
        context.console.print("Stopping: deliveries under way get \(Int(OutboxWorker.drainSeconds)) s to finish (a second Ctrl-C quits at once).")
        for handler in work.reversed() { await handler.shutdownAsync(app) }
        context.console.print("Stopped.")
    }
}

/// SIGINT and SIGTERM, caught: the first asks for a clean stop, a second quits at once.
final class StopSignal: Sendable {
    private struct State {
        var received = 0
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = NIOLockedValueBox(State())
    /// Dispatch sources are not Sendable; they are only kept alive here, never used again.
    private final class Sources: @unchecked Sendable { var all: [any DispatchSourceSignal] = [] }
    private let sources = Sources()

    static func install() -> StopSignal {
        let stop = StopSignal()
        let queue = DispatchQueue(label: "careloop.stop-signal")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { stop.received() }
            source.resume()
            stop.sources.all.append(source)
        }
        return stop
    }

    private func received() {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            s.received += 1
            defer { s.waiter = nil }
            return s.waiter
        }
        if state.withLockedValue({ $0.received }) > 1 { exit(1) }
        waiter?.resume()
    }

    /// Returns once a signal has come (at once if one came already).
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLockedValue { s -> Bool in
                if s.received > 0 { return true }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
    }
}

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
        let app = context.application
        let work = BackgroundWork.handlers(config: app.care.config, outbox: true, periodic: true)
        for handler in work { try handler.didBoot(app) }
        context.console.print("Delivering the outbox and running the periodic jobs; Ctrl-C to stop.")
        await StopSignal.wait()
        for handler in work.reversed() { handler.shutdown(app) }
        context.console.print("Stopped.")
    }
}

/// Waits for SIGINT or SIGTERM (once), instead of letting either kill the process mid-step.
enum StopSignal {
    static func wait() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "careloop.stop-signal")
            let once = NIOLockedValueBox(false)
            var sources: [any DispatchSourceSignal] = []
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    guard once.withLockedValue({ fired in defer { fired = true }; return !fired }) else { return }
                    done.resume()
                }
                source.resume()
                sources.append(source)
            }
            // The sources must live as long as the process waits on them.
            Self.keep.withLockedValue { $0.sources += sources }
        }
    }

    /// Dispatch sources are not Sendable; they are only kept here, never used again.
    private final class Kept: @unchecked Sendable { var sources: [any DispatchSourceSignal] = [] }
    private static let keep = NIOLockedValueBox(Kept())
}

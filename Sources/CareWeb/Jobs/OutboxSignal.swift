import Foundation
import NIOConcurrencyHelpers

/// Wakes this node's outbox worker as soon as a write queued something, so the first care email
/// leaves in milliseconds rather than at the next poll. Pokes while the worker is busy collapse into one.
public final class OutboxSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: (id: UUID, continuation: CheckedContinuation<Void, Never>)?
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    public func poke() {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w.continuation
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next poke (at once if one came since the last wait), or after `seconds`.
    func wait(upTo seconds: Double) async {
        let id = UUID()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLockedValue { s -> Bool in
                if s.pending {
                    s.pending = false
                    return true
                }
                s.waiter = (id, c)
                return false
            }
            if resumeNow {
                c.resume()
                return
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                let timedOut = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
                    guard let w = s.waiter, w.id == id else { return nil }
                    s.waiter = nil
                    return w.continuation
                }
                timedOut?.resume()
            }
        }
    }
}

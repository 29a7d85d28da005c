import Foundation
import NIOConcurrencyHelpers

/// What a write did that matters once it is committed (a delivery queued, say). The storage layer
/// makes one per write, the code inside the write notes into it (`WriteEffects.current`), and the
/// storage runs the installation's after-commit hook with it, so no caller has to remember to.
public final class WriteEffects: Sendable {
    /// The effects of the write whose body is running on this task.
    @TaskLocal static var current: WriteEffects?

    private struct State {
        var queuedDelivery = false
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    /// A delivery (an email, a webhook) was queued or made due now.
    public var queuedDelivery: Bool { state.withLockedValue { $0.queuedDelivery } }

    static func noteQueuedDelivery() {
        current?.state.withLockedValue { $0.queuedDelivery = true }
    }

    /// A body may run more than once (a retry, a batch replayed alone): only the last run counts.
    func reset() {
        state.withLockedValue { $0 = State() }
    }
}

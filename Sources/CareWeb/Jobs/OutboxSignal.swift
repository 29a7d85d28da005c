import NIOConcurrencyHelpers

/// Wakes this node's outbox worker as soon as a write queued something, so the first care email
/// leaves in milliseconds rather than at the next poll. Pokes while the worker is busy collapse into one.
public final class OutboxSignal: Sendable {
    private let continuation: AsyncStream<Void>.Continuation
    let wakeUps: AsyncStream<Void>

    public init() {
        (wakeUps, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func poke() { continuation.yield() }
}

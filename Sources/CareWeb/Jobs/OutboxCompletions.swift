import CareCore
import Fluent
import NIOConcurrencyHelpers
import Vapor

/// Deliveries done, recorded together: a delivery frees its slot the moment the receiver took it,
/// and everything that finished while the last write was committing is recorded in the next one.
/// At the rate a sale produces, a store's care mail no longer waits for a commit per mail before it
/// (measured: bench/care-latency). Until its completion is written a job keeps its lease; a node
/// that stops in between delivers it again after the lease, under the same Message-ID or webhook-id,
/// as for any delivery caught by a crash.
final class OutboxCompletions: Sendable {
    private struct State {
        var pending: [(job: OutboxQueue.Claimed, also: OutboxQueue.Completion?)] = []
        var writing = false
    }
    private let state = NIOLockedValueBox(State())

    func add(_ job: OutboxQueue.Claimed, also: OutboxQueue.Completion?, care: CareServices, db: any Database, logger: Logger) {
        let start = state.withLockedValue { s -> Bool in
            s.pending.append((job, also))
            if s.writing { return false }
            s.writing = true
            return true
        }
        guard start else { return }
        Task { await Self.write(state, care: care, db: db, logger: logger) }
    }

    /// Nothing waiting to be written (a stopping worker waits for this).
    var idle: Bool { state.withLockedValue { !$0.writing && $0.pending.isEmpty } }

    private static func write(_ state: NIOLockedValueBox<State>, care: CareServices, db: any Database, logger: Logger) async {
        while true {
            let batch = state.withLockedValue { s -> [(job: OutboxQueue.Claimed, also: OutboxQueue.Completion?)] in
                let b = s.pending
                s.pending = []
                if b.isEmpty { s.writing = false }
                return b
            }
            guard !batch.isEmpty else { return }
            do {
                // A write caught by a database restart must not wait for ever: unrecorded, the jobs are
                // delivered again after their leases, with the same ids.
                try await withDeadline(seconds: OutboxWorker.recordDeadline) {
                    try await OutboxQueue.delivered(batch, storage: care.storage, on: db)
                }
                for _ in batch { care.metrics.outboxDelivered() }
                // A mail that follows one of these (the conversation's next) can be claimed now.
                care.outboxSignal.poke()
            } catch {
                logger.warning("recording \(batch.count) deliveries failed (they go again after their leases): \(error)")
            }
        }
    }
}

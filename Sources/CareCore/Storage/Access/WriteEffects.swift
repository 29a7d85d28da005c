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
        var changedLists: Set<ChangedList> = []
        var receivedReviews: [(source: ReviewSource, status: ReviewStatus)] = []
        var changedRules: Set<UUID> = []
    }

    /// A product whose public review list may read differently now, or (product nil) any product of a store.
    public struct ChangedList: Hashable, Sendable {
        public let store: UUID
        public let product: UUID?
    }
    private let state = NIOLockedValueBox(State())
    /// The application's cache of triggers and webhooks, which the write's body reads through.
    let rules: StoreRulesCache?

    public init(rules: StoreRulesCache? = nil) {
        self.rules = rules
    }

    /// A delivery (an email, a webhook) was queued or made due now.
    public var queuedDelivery: Bool { state.withLockedValue { $0.queuedDelivery } }

    static func noteQueuedDelivery() {
        current?.state.withLockedValue { $0.queuedDelivery = true }
    }

    /// Reviews this write took in, with the status each got (for the metrics).
    public var receivedReviews: [(source: ReviewSource, status: ReviewStatus)] { state.withLockedValue { $0.receivedReviews } }

    static func noteReviewReceived(_ review: Review) {
        current?.state.withLockedValue { $0.receivedReviews.append((review.source, review.status)) }
    }

    /// The public review lists this write may have changed.
    public var changedLists: Set<ChangedList> { state.withLockedValue { $0.changedLists } }

    /// A review (or what a public list shows of it) was written: `product` nil when any of the store's may be.
    static func noteReviewsChanged(store: UUID, product: UUID?) {
        current?.state.withLockedValue { _ = $0.changedLists.insert(ChangedList(store: store, product: product)) }
    }

    /// Stores whose triggers or webhook endpoints this write changed.
    public var changedRules: Set<UUID> { state.withLockedValue { $0.changedRules } }

    static func noteRulesChanged(store: UUID) {
        current?.state.withLockedValue { _ = $0.changedRules.insert(store) }
    }

    /// A body may run more than once (a retry, a batch replayed alone): only the last run counts.
    func reset() {
        state.withLockedValue { $0 = State() }
    }
}

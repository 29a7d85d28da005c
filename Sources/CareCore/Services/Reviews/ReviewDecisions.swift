import FluentKit
import Foundation
import SQLKit

/// Reviews at volume: how many wait for a person's decision, are published or rejected, and the same
/// decision on many selected reviews at once (each recorded with who, when and the reason).
public enum ReviewDecisions {
    public struct Counts: Sendable, Equatable {
        public var pending = 0
        public var published = 0
        public var rejected = 0
        public var all: Int { pending + published + rejected }

        public init(pending: Int = 0, published: Int = 0, rejected: Int = 0) {
            self.pending = pending
            self.published = published
            self.rejected = rejected
        }
    }

    /// Read from the store's review tallies (`Tallies`): a few rows, whatever the store holds.
    public static func counts(storeID: UUID, on db: any Database) async throws -> Counts {
        let byStatus = try await Tallies.reviewsByStatus(storeID: storeID, on: db.sql)
        return Counts(
            pending: byStatus[ReviewStatus.pending.rawValue] ?? 0, published: byStatus[ReviewStatus.published.rawValue] ?? 0,
            rejected: byStatus[ReviewStatus.rejected.rawValue] ?? 0)
    }

    /// Held reviews of the store (the navigation's badge).
    public static func held(storeID: UUID, on db: any Database) async throws -> Int {
        try await Tallies.reviews(storeID: storeID, status: ReviewStatus.pending.rawValue, rating: nil, on: db.sql)
    }

    public enum Decision: String, Sendable, CaseIterable {
        case publish, reject
    }

    public static let maxSelected = 100

    /// Publishes or rejects the selected reviews of the store in one write; a rejection needs its
    /// reason, kept on each. Ids of other stores are not found (nothing is changed then).
    @discardableResult
    public static func decide(
        _ decision: Decision, reviewIDs: [UUID], reason: String?, storeID: UUID, by actor: String, storage: CareStorage,
        on db: any Database
    ) async throws -> Int {
        let ids = Array(Set(reviewIDs))
        guard !ids.isEmpty else { throw CareError.invalid("ids", "select at least one review") }
        guard ids.count <= maxSelected else { throw CareError.invalid("ids", "select at most \(maxSelected) reviews at once") }
        let reason: String? = decision == .reject ? try Text.required(reason, field: "reason", max: 500) : nil
        return try await storage.write(on: db) { tx in
            let now = storage.now()
            var changed = 0
            for id in ids {
                let review = try await ReviewModeration.load(id, storeID: storeID, on: tx)
                let target: ReviewStatus = decision == .publish ? .published : .rejected
                guard review.status != target else { continue }
                try await ReviewModeration.setStatus(review, target, reason: reason, by: actor, at: now, on: tx)
                changed += 1
            }
            return changed
        }
    }
}

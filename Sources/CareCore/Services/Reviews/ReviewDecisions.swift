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
    }

    /// Counted through reviews_by_store_status for the held and rejected ones (few), and from the
    /// running per-day counts for the published ones (never a walk of a big store's reviews).
    public static func counts(storeID: UUID, on db: any Database) async throws -> Counts {
        let sql = db.sql
        var c = Counts()
        for row in try await sql.raw(
            """
            SELECT status, COUNT(*) AS n FROM reviews WHERE store_id = \(bind: storeID) AND status IN ('pending', 'rejected') GROUP BY status
            """
        ).all() {
            let n = try row.decode(column: "n", as: Int.self)
            if try row.decode(column: "status", as: String.self) == "pending" { c.pending = n } else { c.rejected = n }
        }
        c.published =
            try await sql.raw(
                "SELECT CAST(COALESCE(SUM(published), 0) AS BIGINT) AS n FROM store_daily_reviews WHERE store_id = \(bind: storeID)"
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        return c
    }

    /// Held reviews of the store (the navigation's badge).
    public static func held(storeID: UUID, on db: any Database) async throws -> Int {
        try await db.sql.raw("SELECT COUNT(*) AS n FROM reviews WHERE store_id = \(bind: storeID) AND status = 'pending'")
            .first()?.decode(column: "n", as: Int.self) ?? 0
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

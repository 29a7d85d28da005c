import FluentKit
import Foundation
import SQLKit

/// A person's decisions on reviews, and the deadline that keeps held reviews from being held forever.
/// Every transition keeps the rating summary exact: it counts precisely the published reviews.
public enum ReviewModeration {
    /// Publishes a review (pending or rejected). Recorded with who did it and when.
    public static func publish(reviewID: UUID, storeID: UUID, by actor: String, storage: CareStorage, on db: any Database) async throws -> Review {
        try await storage.write(on: db) { tx in
            let review = try await load(reviewID, storeID: storeID, on: tx)
            try await setStatus(review, .published, reason: nil, by: actor, at: storage.now(), on: tx)
            return review
        }
    }

    /// Rejects a review. A reason is required and kept: rejection is for content rules, never for stars.
    public static func reject(reviewID: UUID, storeID: UUID, reason: String, by actor: String, storage: CareStorage, on db: any Database) async throws
        -> Review
    {
        let reason = try Text.required(reason, field: "reason", max: 500)
        return try await storage.write(on: db) { tx in
            let review = try await load(reviewID, storeID: storeID, on: tx)
            try await setStatus(review, .rejected, reason: reason, by: actor, at: storage.now(), on: tx)
            return review
        }
    }

    /// Publishes every held review whose deadline has passed. Returns how many it published.
    @discardableResult
    public static func publishDue(storage: CareStorage, on db: any Database, limit: Int = 500) async throws -> Int {
        let now = storage.now()
        let due = try await Review.query(on: db).filter(\.$status == .pending)
            .filter(\.$publishAfter <= now).limit(limit).all()
        var published = 0
        for candidate in due {
            let id = try candidate.requireID()
            let didPublish = try await storage.write(on: db) { tx -> Bool in
                // Re-read inside the transaction: a person may have rejected it since the scan.
                guard let review = try await tx.first(Review.self, { $0.where("id", .equal, id) }), review.status == .pending else { return false }
                try await setStatus(review, .published, reason: nil, by: "deadline", at: now, on: tx)
                return true
            }
            if didPublish { published += 1 }
        }
        return published
    }

    static func load(_ id: UUID, storeID: UUID, on db: any Database) async throws -> Review {
        guard let review = try await Review.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).first()
        else { throw CareError.notFound("review") }
        return review
    }

    static func load(_ id: UUID, storeID: UUID, on sql: any SQLDatabase) async throws -> Review {
        guard let review = try await sql.first(Review.self, { $0.where("id", .equal, id).where("store_id", .equal, storeID) })
        else { throw CareError.notFound("review") }
        return review
    }

    static func setStatus(_ review: Review, _ status: ReviewStatus, reason: String?, by actor: String, at now: Date, on db: any SQLDatabase)
        async throws
    {
        let was = review.status
        review.status = status
        review.statusReason = reason
        review.publishAfter = nil
        review.moderatedBy = actor
        review.moderatedAt = now
        review.updatedAt = now
        try await db.saveChanges(review)
        if was != .published && status == .published {
            try await RatingSummaryCounter.add(
                review.ratingValue, productID: review.productID, storeID: review.storeID, writtenAt: review.createdAt, on: db)
        } else if was == .published && status != .published {
            try await RatingSummaryCounter.remove(
                review.ratingValue, productID: review.productID, storeID: review.storeID, writtenAt: review.createdAt, on: db)
        }
    }
}

/// The store's public answer to a review.
public enum ReviewReplies {
    public static func reply(reviewID: UUID, storeID: UUID, body: String, storage: CareStorage, on db: any Database) async throws -> ReviewReply {
        let body = try Text.required(body, field: "body", max: 10_000)
        return try await storage.write(on: db) { tx in
            _ = try await ReviewModeration.load(reviewID, storeID: storeID, on: tx)
            let now = storage.now()
            if let existing = try await tx.first(ReviewReply.self, { $0.where("review_id", .equal, reviewID) }) {
                existing.body = body
                existing.updatedAt = now
                try await tx.saveChanges(existing)
                return existing
            }
            let reply = ReviewReply(storeID: storeID, reviewID: reviewID, body: body, createdAt: now)
            try await tx.insert(reply)
            return reply
        }
    }
}

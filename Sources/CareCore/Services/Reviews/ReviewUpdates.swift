import FluentKit
import Foundation
import SQLKit

/// A customer updating their own review (from their conversation page). Only the customer can do
/// this; the store never can. The earlier version is kept in `review_edits`, so the store sees the
/// rating before and after, and the same content rules as for a new review apply to the new text,
/// whatever the stars.
public enum ReviewUpdates {
    public struct Updated: Sendable {
        public let review: Review
        public let previousRating: Int
        /// False when the customer sent the review back unchanged (no edit is recorded).
        public let changed: Bool
    }

    public static func byCustomer(
        reviewID: UUID, storeID: UUID, rating rawRating: Int?, title: String?, body: String?,
        moderation: Moderation = Moderation(), links: CareLinks, storage: CareStorage,
        on db: any Database
    ) async throws -> Updated {
        guard let rawRating else { throw CareError.missing("rating") }
        let rating = try Rating(rawRating)
        let title = try Text.optional(title, field: "title", max: ReviewSubmission.limits.title)
        let body = try Text.optional(body, field: "body", max: ReviewSubmission.limits.body)
        return try await storage.write(on: db) { sql in
            let review = try await ReviewModeration.load(reviewID, storeID: storeID, on: sql)
            guard let store = try await sql.first(Store.self, { $0.where("id", .equal, storeID) }),
                let customer = try await sql.first(Customer.self, { $0.where("id", .equal, review.customerID) })
            else { throw CareError.notFound("review") }
            // A person rejected it with a recorded reason: an edit does not undo that decision.
            guard review.status != .rejected else {
                throw CareError.reviewRejected(message: "this review was removed by the store and cannot be updated")
            }
            let previous = review.rating
            guard rating.stars != review.rating || title != review.title || body != review.body else {
                return Updated(review: review, previousRating: previous, changed: false)
            }
            let now = storage.now()
            try await sql.insert(
                ReviewEdit(
                    storeID: storeID, reviewID: reviewID, previousRating: review.rating,
                    previousTitle: review.title, previousBody: review.body, editedAt: now))
            let earlier = try await Catalog.recentTexts(customerID: review.customerID, excluding: reviewID, on: sql)
            let decision = moderation.decide(ReviewContent(title: title, body: body, earlierTextsBySameCustomer: earlier))
            let wasPublished = review.status == .published
            if review.originalRating == nil { review.originalRating = previous }
            review.rating = rating.stars
            review.title = title
            review.body = body
            review.updatedAt = now
            switch decision {
            case .publish:
                review.status = .published
                review.heldByRule = nil
                review.statusReason = nil
                review.publishAfter = nil
            case .hold(let rule, let reason):
                review.status = .pending
                review.heldByRule = rule
                review.statusReason = reason
                review.publishAfter = now.addingTimeInterval(TimeInterval(store.moderationHoldHours) * 3600)
            }
            try await sql.saveChanges(review)
            // Keep the summary counting exactly the published reviews, at their current rating.
            if wasPublished {
                try await RatingSummaryCounter.remove(
                    Rating(stored: previous), productID: review.productID, storeID: storeID, writtenAt: review.createdAt, on: sql)
            }
            if review.status == .published {
                try await RatingSummaryCounter.add(rating, productID: review.productID, storeID: storeID, writtenAt: review.createdAt, on: sql)
            }

            let product = try await sql.first(Product.self, { $0.where("id", .equal, review.productID) })
            let conversation = try await ConversationThread.loadForChange(on: sql) {
                $0.where("review_id", .equal, reviewID).orderBy("created_at", .descending).limit(1)
            }
            if let conversation {
                let stars = { (n: Int) in "\(n)★" }
                try await ConversationThread.addMessage(
                    .system, body: "The customer updated their review: \(stars(previous)) → \(stars(rating.stars)).",
                    staffID: nil, to: conversation, now: now, on: sql)
            }
            try await TriggerRunner.fire(
                .reviewUpdated,
                subject: CareSubject(
                    store: store, customer: customer, review: review,
                    product: product, conversation: conversation),
                links: links, now: now, on: sql)
            try await Webhooks.enqueue(
                .reviewUpdated, data: WebhookData.review(review, product: product, customer: customer, previousRating: previous),
                storeID: storeID, now: now, on: sql)
            return Updated(review: review, previousRating: previous, changed: true)
        }
    }

    /// A review's earlier versions, oldest first.
    public static func history(reviewID: UUID, on db: any Database) async throws -> [ReviewEdit] {
        try await ReviewEdit.query(on: db).filter(\.$reviewID == reviewID).sort(\.$editedAt).all()
    }
}

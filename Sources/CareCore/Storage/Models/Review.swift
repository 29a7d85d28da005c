import FluentKit
import Foundation

/// A customer's review of a product. The rating is the customer's alone: nothing in CareLoop lets the
/// store change it; only the customer's own edit does, and that edit is kept in `review_edits`.
public final class Review: Model, @unchecked Sendable {
    public static let schema = "reviews"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "product_id") public var productID: UUID
    @Field(key: "customer_id") public var customerID: UUID
    /// The order that verifies the review, when there is one.
    @OptionalField(key: "order_id") public var orderID: UUID?
    @Field(key: "rating") public var rating: Int
    /// The rating the review was first written with, once the customer has changed it (nil until then).
    @OptionalField(key: "original_rating") public var originalRating: Int?
    @OptionalField(key: "title") public var title: String?
    @OptionalField(key: "body") public var body: String?
    @Field(key: "author_name") public var authorName: String
    @Field(key: "status") public var status: ReviewStatus
    /// Why the review is pending or rejected: the content rule, or the person's recorded reason.
    @OptionalField(key: "status_reason") public var statusReason: String?
    @OptionalField(key: "held_by_rule") public var heldByRule: String?
    /// A pending review publishes itself at this time unless a person rejected it first.
    @OptionalField(key: "publish_after") public var publishAfter: Date?
    @OptionalField(key: "moderated_by") public var moderatedBy: String?
    @OptionalField(key: "moderated_at") public var moderatedAt: Date?
    @Field(key: "verified") public var verified: Bool
    @Field(key: "source") public var source: ReviewSource
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    /// A new review as it arrives, before moderation sets its status. `verified` follows the order:
    /// only a review tied to the customer's order of the product is verified.
    public init(
        id: UUID, storeID: UUID, productID: UUID, customerID: UUID, orderID: UUID?, rating: Rating,
        title: String?, body: String?, authorName: String, source: ReviewSource, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.storeID = storeID
        self.productID = productID
        self.customerID = customerID
        self.orderID = orderID
        self.rating = rating.stars
        self.title = title
        self.body = body
        self.authorName = authorName
        self.verified = orderID != nil
        self.source = source
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var ratingValue: Rating { Rating(stored: rating) }
}

/// The earlier versions of a review: written each time the customer edits it, so the store (and
/// recovery reporting) can see the rating before and after.
public final class ReviewEdit: Model, @unchecked Sendable {
    public static let schema = "review_edits"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "review_id") public var reviewID: UUID
    @Field(key: "previous_rating") public var previousRating: Int
    @OptionalField(key: "previous_title") public var previousTitle: String?
    @OptionalField(key: "previous_body") public var previousBody: String?
    @Field(key: "edited_at") public var editedAt: Date

    public init() {}

    public init(storeID: UUID, reviewID: UUID, previousRating: Int, previousTitle: String?, previousBody: String?, editedAt: Date) {
        self.storeID = storeID
        self.reviewID = reviewID
        self.previousRating = previousRating
        self.previousTitle = previousTitle
        self.previousBody = previousBody
        self.editedAt = editedAt
    }
}

/// The store's public answer under a review; one per review, replaced when edited.
public final class ReviewReply: Model, @unchecked Sendable {
    public static let schema = "review_replies"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "review_id") public var reviewID: UUID
    @Field(key: "body") public var body: String
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public init(storeID: UUID, reviewID: UUID, body: String, createdAt: Date) {
        self.storeID = storeID
        self.reviewID = reviewID
        self.body = body
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

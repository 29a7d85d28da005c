import FluentKit
import Foundation

/// A shop using CareLoop. Every other row belongs to exactly one store.
public final class Store: Model, @unchecked Sendable {
    public static let schema = "stores"

    @ID(key: .id) public var id: UUID?
    @Field(key: "name") public var name: String
    @Field(key: "slug") public var slug: String
    /// How long a review held by a content rule waits for a person before it publishes itself.
    @Field(key: "moderation_hold_hours") public var moderationHoldHours: Int
    @Field(key: "created_at") public var createdAt: Date
    /// Authenticates inbound email posted for this store; made when first asked for.
    @OptionalField(key: "inbound_secret") public var inboundSecret: String?
    /// On resolving a conversation about a review, invite the customer to update it if they wish.
    @Field(key: "invite_review_update") public var inviteReviewUpdate: Bool
    /// Months a resolved conversation's text is kept; nil keeps it (see `Retention`).
    @OptionalField(key: "retention_months") public var retentionMonths: Int?

    public init() {}

    public init(id: UUID? = nil, name: String, slug: String, moderationHoldHours: Int = 7 * 24, createdAt: Date) {
        self.id = id
        self.name = name
        self.slug = slug
        self.moderationHoldHours = moderationHoldHours
        self.createdAt = createdAt
        self.inviteReviewUpdate = true
    }
}

/// The facts a condition can test, with their types. Validation refuses anything not listed here,
/// so a misspelt attribute is an error on save, never a trigger that silently never fires.
public enum TriggerAttribute: String, Sendable, CaseIterable {
    public enum Kind: String, Sendable {
        case number, string, bool, tags
    }

    case reviewRating = "review.rating"
    case reviewTitle = "review.title"
    case reviewBody = "review.body"
    case reviewVerified = "review.verified"
    case reviewSentiment = "review.sentiment"
    case reviewLukewarm = "review.lukewarm"
    case reviewSource = "review.source"
    case productExternalID = "product.external_id"
    case productName = "product.name"
    case customerEmail = "customer.email"
    case customerReviewCount = "customer.review_count"
    case customerLifetimeValue = "customer.lifetime_value"
    case customerOpenConversations = "customer.open_conversations"
    case conversationStatus = "conversation.status"
    case conversationPriority = "conversation.priority"
    case conversationTags = "conversation.tags"
    case conversationMinutesSinceStaffReply = "conversation.minutes_since_staff_reply"
    case conversationDaysSinceCustomerReply = "conversation.days_since_customer_reply"

    public var kind: Kind {
        switch self {
        case .reviewRating, .reviewSentiment, .customerReviewCount, .customerLifetimeValue, .customerOpenConversations,
            .conversationMinutesSinceStaffReply, .conversationDaysSinceCustomerReply:
            .number
        case .reviewVerified, .reviewLukewarm: .bool
        case .conversationTags: .tags
        case .reviewTitle, .reviewBody, .reviewSource, .productExternalID, .productName, .customerEmail,
            .conversationStatus, .conversationPriority:
            .string
        }
    }

    /// Facts that take a query (asked only when a condition mentions them).
    var needsQuery: Bool { self == .customerReviewCount || self == .customerLifetimeValue || self == .customerOpenConversations }

    /// Facts that can change while a conversation sits untouched (the customer's other activity, the clock).
    var changesWhileConversationSits: Bool {
        rawValue.hasPrefix("customer.") || self == .conversationMinutesSinceStaffReply || self == .conversationDaysSinceCustomerReply
    }

    /// Which operators make sense for which kind of attribute.
    static func allows(_ op: TriggerOperator, on kind: Kind) -> Bool {
        switch op {
        case .eq, .ne, .in: true
        case .lt, .lte, .gt, .gte: kind == .number
        case .contains: kind == .string || kind == .tags
        case .matches: kind == .string
        }
    }
}

public enum TriggerOperator: String, Sendable, Codable, CaseIterable {
    case eq, ne, lt, lte, gt, gte, `in`, contains, matches
}

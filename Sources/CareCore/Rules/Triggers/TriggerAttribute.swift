/// The facts a condition can test, with their types. Validation refuses anything not listed here,
/// so a misspelt attribute is an error on save, never a trigger that silently never fires.
public enum TriggerAttribute {
    public enum Kind: String, Sendable {
        case number, string, bool, tags
    }

    public static let all: [String: Kind] = [
        "review.rating": .number,
        "review.title": .string,
        "review.body": .string,
        "review.verified": .bool,
        "review.sentiment": .number,
        "review.lukewarm": .bool,
        "review.source": .string,
        "product.external_id": .string,
        "product.name": .string,
        "customer.email": .string,
        "customer.review_count": .number,
        "customer.lifetime_value": .number,
        "customer.open_conversations": .number,
        "conversation.status": .string,
        "conversation.priority": .string,
        "conversation.tags": .tags,
        "conversation.minutes_since_staff_reply": .number,
        "conversation.days_since_customer_reply": .number,
    ]

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

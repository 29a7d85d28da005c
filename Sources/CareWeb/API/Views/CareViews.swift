import CareCore
import Foundation

/// Response bodies of the care API (triggers, conversations, outbox).
struct TriggerView: Encodable {
    let trigger: Trigger

    enum CodingKeys: String, CodingKey { case id, name, event, enabled, position, definition, createdAt = "created_at", updatedAt = "updated_at" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeID(trigger.id, forKey: .id)
        try c.encode(trigger.name, forKey: .name)
        try c.encode(trigger.event, forKey: .event)
        try c.encode(trigger.enabled, forKey: .enabled)
        try c.encode(trigger.position, forKey: .position)
        // The definition is stored as the JSON a person wrote; hand it back as an object, not a string.
        try c.encode(RawJSON(text: trigger.definition), forKey: .definition)
        try c.encodeDate(trigger.createdAt, forKey: .createdAt)
        try c.encodeDate(trigger.updatedAt, forKey: .updatedAt)
    }
}

/// Embeds already-serialised JSON as a value.
struct RawJSON: Encodable {
    let text: String
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode((try? JSONDecoder().decode(JSONNode.self, from: Data(text.utf8))) ?? JSONNode.null)
    }
}

struct ConversationView: Encodable {
    let listed: ConversationService.Listed
    let messages: [ConversationMessage]?
    /// The customer's page, as a fresh signed link (only on the single-conversation view).
    var pageURL: String? = nil

    enum CodingKeys: String, CodingKey {
        case id, reviewId = "review_id", customer, subject, status, priority, assignee, tags, slaDueAt = "sla_due_at", slaTarget = "sla_target"
        case firstResponseAt = "first_response_at", resolvedAt = "resolved_at", resolutionNote = "resolution_note"
        case createdAt = "created_at", updatedAt = "updated_at", messages, pageURL = "page_url"
    }

    struct StaffBrief: Encodable {
        let id: String // the UUID's text, see encodeID
        let email: String
        let name: String
    }

    func encode(to encoder: any Encoder) throws {
        let cv = listed
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeID(cv.id, forKey: .id)
        try c.encodeID(cv.reviewID, forKey: .reviewId)
        try c.encode(cv.customer.map { StoreReviewView.CustomerBrief(id: $0.id, email: $0.email, name: $0.name) }, forKey: .customer)
        try c.encode(cv.subject, forKey: .subject)
        try c.encode(cv.status.rawValue, forKey: .status)
        try c.encode(cv.priority.rawValue, forKey: .priority)
        try c.encode(cv.assignee.map { StaffBrief(id: $0.id.uuidString, email: $0.email, name: $0.name ?? "") }, forKey: .assignee)
        try c.encode(cv.tags, forKey: .tags)
        try c.encodeDate(cv.slaDueAt, forKey: .slaDueAt)
        try c.encode(cv.slaTarget, forKey: .slaTarget)
        try c.encodeDate(cv.firstResponseAt, forKey: .firstResponseAt)
        try c.encodeDate(cv.resolvedAt, forKey: .resolvedAt)
        try c.encode(cv.resolutionNote, forKey: .resolutionNote)
        try c.encodeDate(cv.createdAt, forKey: .createdAt)
        try c.encodeDate(cv.updatedAt, forKey: .updatedAt)
        if let messages { try c.encode(messages.map(MessageView.init), forKey: .messages) }
        if let pageURL { try c.encode(pageURL, forKey: .pageURL) }
    }
}

struct MessageView: Encodable {
    let id: UUID
    let author: String
    let body: String
    let createdAt: String // formatted here, see ReplyView

    enum CodingKeys: String, CodingKey { case id, author, body, createdAt = "created_at" }

    init(_ m: ConversationMessage) {
        id = m.id!
        author = m.author.rawValue
        body = m.body
        createdAt = JSONBody.formatDate(m.createdAt)
    }
}

struct MessagePayload: Decodable {
    let body: String
    let isInternal: Bool?
    enum CodingKeys: String, CodingKey { case body, isInternal = "internal" }
}

struct ResolvePayload: Decodable {
    let resolutionNote: String?
    enum CodingKeys: String, CodingKey { case resolutionNote = "resolution_note" }
}

struct AssignPayload: Decodable {
    let assignee: String?
}

struct WebhookView: Encodable {
    let endpoint: WebhookEndpoint
    /// Shown once, when the endpoint is made.
    var showSecret = false

    enum CodingKeys: String, CodingKey { case id, url, events, enabled, secret, createdAt = "created_at" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeID(endpoint.id, forKey: .id)
        try c.encode(endpoint.url, forKey: .url)
        try c.encode(endpoint.events, forKey: .events)
        try c.encode(endpoint.enabled, forKey: .enabled)
        if showSecret { try c.encode(endpoint.secret, forKey: .secret) }
        try c.encodeDate(endpoint.createdAt, forKey: .createdAt)
    }
}

struct WebhookPayload: Decodable {
    let url: String?
    let events: [String]?
}

struct CareSettingsView: Codable {
    let inviteReviewUpdate: Bool?
    /// Months after which resolved conversations lose their text; 0 (or absent in the answer) keeps it.
    let retentionMonths: WholeNumberOrNil?
    enum CodingKeys: String, CodingKey { case inviteReviewUpdate = "invite_review_update", retentionMonths = "retention_months" }

    init(inviteReviewUpdate: Bool?, retentionMonths: WholeNumberOrNil?) {
        self.inviteReviewUpdate = inviteReviewUpdate
        self.retentionMonths = retentionMonths
    }

    /// A key given as `null` is a wrong value (422), not "leave it as it is": leave a key out for that.
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        for key in [CodingKeys.inviteReviewUpdate, .retentionMonths] where c.contains(key) {
            if try c.decodeNil(forKey: key) {
                throw DecodingError.typeMismatch(Int.self, .init(codingPath: [key], debugDescription: "null is not a value here; leave the key out"))
            }
        }
        inviteReviewUpdate = try c.decodeIfPresent(Bool.self, forKey: .inviteReviewUpdate)
        retentionMonths = try c.decodeIfPresent(WholeNumberOrNil.self, forKey: .retentionMonths)
    }
}

/// A whole number when given; encodes as a number.
struct WholeNumberOrNil: Codable {
    let value: Int
    init(_ value: Int) { self.value = value }
    init(from decoder: any Decoder) throws { value = try WholeNumber(from: decoder).value }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

struct RecoveryView: Encodable {
    let report: Recovery.Report

    enum CodingKeys: String, CodingKey { case caredFor = "cared_for", recovered, rate, reviews }

    struct Item: Encodable {
        let item: Recovery.Item
        enum CodingKeys: String, CodingKey {
            case reviewId = "review_id", conversationId = "conversation_id", customerEmail = "customer_email", before, after, updatedAt = "updated_at"
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeID(item.reviewID, forKey: .reviewId)
            try c.encodeID(item.conversationID, forKey: .conversationId)
            try c.encode(item.customerEmail, forKey: .customerEmail)
            try c.encode(item.before, forKey: .before)
            try c.encode(item.after, forKey: .after)
            try c.encodeDate(item.updatedAt, forKey: .updatedAt)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(report.caredFor, forKey: .caredFor)
        try c.encode(report.recovered, forKey: .recovered)
        try c.encode(report.rate, forKey: .rate)
        try c.encode(report.items.map(Item.init), forKey: .reviews)
    }
}

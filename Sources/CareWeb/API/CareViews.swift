import CareCore
import Foundation

/// Response bodies of the care API (triggers, conversations, outbox).
struct TriggerView: Encodable {
    let trigger: Trigger

    enum CodingKeys: String, CodingKey { case id, name, event, enabled, position, definition, createdAt = "created_at", updatedAt = "updated_at" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(trigger.id, forKey: .id)
        try c.encode(trigger.name, forKey: .name)
        try c.encode(trigger.event, forKey: .event)
        try c.encode(trigger.enabled, forKey: .enabled)
        try c.encode(trigger.position, forKey: .position)
        // The definition is stored as the JSON a person wrote; hand it back as an object, not a string.
        try c.encode(RawJSON(text: trigger.definition), forKey: .definition)
        try c.encode(trigger.createdAt, forKey: .createdAt)
        try c.encode(trigger.updatedAt, forKey: .updatedAt)
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

    enum CodingKeys: String, CodingKey {
        case id, reviewId = "review_id", customer, subject, status, priority, assignee, tags, slaDueAt = "sla_due_at"
        case firstResponseAt = "first_response_at", resolvedAt = "resolved_at", resolutionNote = "resolution_note"
        case createdAt = "created_at", updatedAt = "updated_at", messages
    }

    struct StaffBrief: Encodable { let id: UUID; let email: String; let name: String }

    func encode(to encoder: any Encoder) throws {
        let cv = listed.conversation
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cv.id, forKey: .id)
        try c.encode(cv.reviewID, forKey: .reviewId)
        try c.encode(listed.customer.map { StoreReviewView.CustomerBrief(id: $0.id!, email: $0.email, name: $0.name) }, forKey: .customer)
        try c.encode(cv.subject, forKey: .subject)
        try c.encode(cv.status.rawValue, forKey: .status)
        try c.encode(cv.priority.rawValue, forKey: .priority)
        try c.encode(listed.assignee.map { StaffBrief(id: $0.id!, email: $0.email, name: $0.name) }, forKey: .assignee)
        try c.encode(cv.tags, forKey: .tags)
        try c.encode(cv.slaDueAt, forKey: .slaDueAt)
        try c.encode(cv.firstResponseAt, forKey: .firstResponseAt)
        try c.encode(cv.resolvedAt, forKey: .resolvedAt)
        try c.encode(cv.resolutionNote, forKey: .resolutionNote)
        try c.encode(cv.createdAt, forKey: .createdAt)
        try c.encode(cv.updatedAt, forKey: .updatedAt)
        if let messages { try c.encode(messages.map(MessageView.init), forKey: .messages) }
    }
}

struct MessageView: Encodable {
    let id: UUID
    let author: String
    let body: String
    let createdAt: Date

    enum CodingKeys: String, CodingKey { case id, author, body, createdAt = "created_at" }

    init(_ m: ConversationMessage) {
        id = m.id!
        author = m.author.rawValue
        body = m.body
        createdAt = m.createdAt
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

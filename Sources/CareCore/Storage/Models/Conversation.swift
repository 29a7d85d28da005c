import FluentKit
import Foundation

public enum ConversationStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting on the store.
    case open
    /// Waiting on the customer.
    case waiting
    case resolved
}

/// A thread between the store and one customer, often opened by a care trigger for a review.
public final class Conversation: Model, @unchecked Sendable {
    public static let schema = "conversations"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "customer_id") public var customerID: UUID
    @OptionalField(key: "review_id") public var reviewID: UUID?
    @Field(key: "subject") public var subject: String
    @Field(key: "status") public var status: ConversationStatus
    @Field(key: "priority") public var priority: ConversationPriority
    @OptionalField(key: "assignee_id") public var assigneeID: UUID?
    /// JSON list of lower-case tags.
    @Field(key: "tags") public var tagsJSON: String
    /// When the store's reply is due; nil while nothing is owed (waiting for the customer, resolved).
    @OptionalField(key: "sla_due_at") public var slaDueAt: Date?
    /// Which target `slaDueAt` is for: `first` (reply) or `next` (reply after the customer wrote).
    @OptionalField(key: "sla_target") public var slaTarget: String?
    @OptionalField(key: "first_response_at") public var firstResponseAt: Date?
    @OptionalField(key: "resolved_at") public var resolvedAt: Date?
    @OptionalField(key: "resolution_note") public var resolutionNote: String?
    /// Opens this conversation alone: in the customer's reply address and hosted-page link.
    @Field(key: "token") public var token: String
    @OptionalField(key: "last_customer_at") public var lastCustomerAt: Date?
    @OptionalField(key: "last_staff_at") public var lastStaffAt: Date?
    /// Set when this conversation was merged into another: its messages are there now, and its
    /// reply address and page lead there.
    @OptionalField(key: "merged_into_id") public var mergedIntoID: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public var tags: [String] {
        get { ConversationTags.read(tagsJSON) }
        set { tagsJSON = String(decoding: (try? JSONEncoder().encode(newValue)) ?? Data("[]".utf8), as: UTF8.self) }
    }
}

/// A conversation's tags as stored: a JSON list of strings.
public enum ConversationTags {
    /// The tags of a stored list; most conversations have none, read without a decoder.
    public static func read(_ json: String) -> [String] {
        if json == "[]" || json.isEmpty { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }
}

public enum MessageAuthor: String, Sendable, Codable, CaseIterable {
    case staff, customer, note, system
}

public final class ConversationMessage: Model, @unchecked Sendable {
    public static let schema = "conversation_messages"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "conversation_id") public var conversationID: UUID
    @Field(key: "author") public var author: MessageAuthor
    @OptionalField(key: "staff_id") public var staffID: UUID?
    @Field(key: "body") public var body: String
    /// The RFC 5322 Message-ID of the email that carried it (sent or received), for threading.
    @OptionalField(key: "email_message_id") public var emailMessageID: String?
    @Field(key: "created_at") public var createdAt: Date
    /// The undoable action (a reply, a resolution) that wrote it; the customer sees it only from
    /// `heldUntil`, when the undo window is over.
    @OptionalField(key: "action_id") public var actionID: UUID?
    @OptionalField(key: "held_until") public var heldUntil: Date?

    public init() {}
}

import FluentKit
import Foundation

public enum OutboxKind: String, Sendable, Codable, CaseIterable {
    case email, webhook
}

public enum OutboxStatus: String, Sendable, Codable, CaseIterable {
    case pending, delivered, dead
}

/// One email or webhook to deliver, written in the same transaction as the event that caused it,
/// so a crash can delay a delivery but never lose it.
public final class OutboxJob: Model, @unchecked Sendable {
    public static let schema = "outbox"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "kind") public var kind: OutboxKind
    /// JSON: what to deliver (see `OutboxPayload`).
    @Field(key: "payload") public var payload: String
    @Field(key: "status") public var status: OutboxStatus
    @Field(key: "attempts") public var attempts: Int
    @Field(key: "next_attempt_at") public var nextAttemptAt: Date
    /// A worker holds the job until then; past it, another worker may take it over.
    @OptionalField(key: "locked_until") public var lockedUntil: Date?
    @OptionalField(key: "last_error") public var lastError: String?
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "delivered_at") public var deliveredAt: Date?
    /// Which line the job waits in: care mail (0) goes before bulk mail (1) of the same store.
    @Field(key: "lane") public var lane: Int
    /// The undoable action that queued it (held until its window is over, deleted if undone).
    @OptionalField(key: "action_id") public var actionID: UUID?
    /// A mail to the same customer that must be delivered first (a reply before its resolution).
    @OptionalField(key: "follows") public var follows: UUID?
    /// The conversation a customer's mail belongs to: its mails go out in the order written.
    @OptionalField(key: "conversation_id") public var conversationID: UUID?

    public init() {}
}

import FluentKit
import Foundation

/// Asking one order's buyer for reviews: the request email, then its reminders. One per order, made
/// when the order is fulfilled; the sweep (`ReviewRequests.sweep`) sends each email when it is due.
public final class ReviewRequest: Model, @unchecked Sendable {
    public static let schema = "review_requests"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "order_id") public var orderID: UUID
    @Field(key: "customer_id") public var customerID: UUID
    /// Emails queued so far: 0 before the request, 1 after it, 2 after the first reminder…
    @Field(key: "emails_sent") public var emailsSent: Int
    /// When the next email is due; nil when nothing more will be sent.
    @OptionalField(key: "next_send_at") public var nextSendAt: Date?
    @OptionalField(key: "first_sent_at") public var firstSentAt: Date?
    @OptionalField(key: "last_sent_at") public var lastSentAt: Date?
    @OptionalField(key: "form_opened_at") public var formOpenedAt: Date?
    @OptionalField(key: "reviewed_at") public var reviewedAt: Date?
    /// Why no more emails go out before the plan ran out: `unsubscribed`, `reviewed`, `in_care`, `erased`.
    @OptionalField(key: "stopped_reason") public var stoppedReason: String?
    /// The conversation the buyer started from this request (by replying or "Talk to us").
    @OptionalField(key: "conversation_id") public var conversationID: UUID?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// A customer who asked for no more review requests from one store. Care emails (answers from a
/// person) are not affected: those are the conversation the customer is having.
public final class RequestUnsubscribe: Model, @unchecked Sendable {
    public static let schema = "request_unsubscribes"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "customer_id") public var customerID: UUID
    /// `link` (the page), `one_click` (RFC 8058, from the mail program).
    @Field(key: "via") public var via: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

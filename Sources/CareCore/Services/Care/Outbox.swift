import FluentKit
import Foundation
import SQLKit

/// What an outbox job carries. Emails name the message they deliver and are rendered at delivery
/// time from the stored conversation, so a retry sends the same mail with the same Message-ID.
public enum OutboxPayload: Codable, Sendable, Equatable {
    /// `automatic`: written by a trigger, not a person (it carries `Auto-Submitted`, and counts
    /// towards the automatic-mail limit of its address).
    case conversationMessage(messageID: UUID, automatic: Bool = false)
    case staffNotification(to: [String], subject: String, body: String)
    case webhook(endpointID: UUID, event: String, body: String)
    /// A review request (step 0) or its reminders (1, 2), rendered from the stored request when sent.
    case reviewRequest(requestID: UUID, step: Int)

    enum CodingKeys: String, CodingKey {
        case type, messageID = "message_id", automatic, to, subject, body, endpointID = "endpoint_id", event, requestID = "request_id", step
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "conversation_message":
            self = .conversationMessage(
                messageID: try c.decode(UUID.self, forKey: .messageID), automatic: try c.decodeIfPresent(Bool.self, forKey: .automatic) ?? false)
        case "staff_notification":
            self = .staffNotification(
                to: try c.decode([String].self, forKey: .to), subject: try c.decode(String.self, forKey: .subject),
                body: try c.decode(String.self, forKey: .body))
        case "webhook":
            self = .webhook(
                endpointID: try c.decode(UUID.self, forKey: .endpointID), event: try c.decode(String.self, forKey: .event),
                body: try c.decode(String.self, forKey: .body))
        case "review_request":
            self = .reviewRequest(requestID: try c.decode(UUID.self, forKey: .requestID), step: try c.decode(Int.self, forKey: .step))
        case let other: throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown outbox job \(other)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .conversationMessage(let id, let automatic):
            try c.encode("conversation_message", forKey: .type)
            try c.encode(id, forKey: .messageID)
            if automatic { try c.encode(true, forKey: .automatic) }
        case .staffNotification(let to, let subject, let body):
            try c.encode("staff_notification", forKey: .type)
            try c.encode(to, forKey: .to)
            try c.encode(subject, forKey: .subject)
            try c.encode(body, forKey: .body)
        case .webhook(let endpointID, let event, let body):
            try c.encode("webhook", forKey: .type)
            try c.encode(endpointID, forKey: .endpointID)
            try c.encode(event, forKey: .event)
            try c.encode(body, forKey: .body)
        case .reviewRequest(let requestID, let step):
            try c.encode("review_request", forKey: .type)
            try c.encode(requestID, forKey: .requestID)
            try c.encode(step, forKey: .step)
        }
    }

    var kind: OutboxKind {
        if case .webhook = self { return .webhook }
        return .email
    }

    /// The care lane (0) carries what a customer in a conversation is waiting for, and webhooks;
    /// the bulk lane (1) review requests, reminders and staff notifications. A worker takes a store's
    /// care before its bulk, and bulk never takes every delivery slot.
    var lane: Int {
        switch self {
        case .conversationMessage, .webhook: 0
        case .reviewRequest, .staffNotification: 1
        }
    }

    /// Sent without a person: carries `Auto-Submitted: auto-generated` (RFC 3834).
    var isAutomatic: Bool {
        switch self {
        case .conversationMessage(_, let automatic): automatic
        case .reviewRequest, .staffNotification: true
        case .webhook: false
        }
    }
}

public enum Outbox {
    /// Queues a delivery in the caller's transaction.
    static func enqueue(_ payload: OutboxPayload, storeID: UUID, now: Date, on sql: any SQLDatabase) async throws {
        let job = OutboxJob()
        job.id = UUID()
        job.storeID = storeID
        job.kind = payload.kind
        job.payload = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        job.status = .pending
        job.attempts = 0
        job.nextAttemptAt = now
        job.createdAt = now
        job.lane = payload.lane
        try await CareRows.insert(job, on: sql)
        WriteEffects.noteQueuedDelivery()
    }

    /// Queues an automatic mail to a customer in the caller's transaction, unless that address
    /// bounced for good or has had this hour's automatic mails (`AutomaticMailLimit`): then nothing
    /// is queued, and the reason comes back for the caller to record.
    static func enqueueAutomatic(_ payload: OutboxPayload, to email: String, storeID: UUID, now: Date, on sql: any SQLDatabase) async throws
        -> String?
    {
        if try await MailBounces.isSuppressed(storeID: storeID, email: email, on: sql) {
            return "Not emailed: mail to \(email) bounced earlier (Settings → Email clears it)."
        }
        guard try await AutomaticMailLimit.take(storeID: storeID, email: email, now: now, on: sql) else {
            return "Not emailed: \(AutomaticMailLimit.perHour) automatic mails went to \(email) this hour (a mail loop is the usual cause)."
        }
        try await enqueue(payload, storeID: storeID, now: now, on: sql)
        return nil
    }
}

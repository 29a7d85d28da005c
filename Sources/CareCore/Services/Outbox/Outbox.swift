import FluentKit
import Foundation
import SQLKit

/// What an outbox job carries. Emails name the message they deliver and are rendered at delivery
/// time from the stored conversation, so a retry sends the same mail with the same Message-ID.
public enum OutboxPayload: Codable, Sendable, Equatable {
    /// `automatic`: written by a trigger, not a person (it carries `Auto-Submitted`, and counts
    /// towards the automatic-mail limit of its address).
    case conversationMessage(messageID: UUID, automatic: Bool = false)
    /// A plain mail to a staff member, or a confirmation to someone writing in (`fromName`: the store's).
    case staffNotification(to: [String], subject: String, body: String, fromName: String? = nil)
    /// What a staff member is told (`StaffNotifications`): threaded per conversation, with the link
    /// that stops this kind.
    case teamNotice(to: String, subject: String, body: String, conversationID: UUID?, stop: String)
    /// A sample of a mail customers get, to a staff member trying CareLoop (`FirstRun.sendSample`).
    case sample(kind: SampleKind, to: String, name: String)

    public enum SampleKind: String, Codable, Sendable {
        case request, care
    }
    case webhook(endpointID: UUID, event: String, body: String)
    /// A review request (step 0) or its reminders (1, 2), rendered from the stored request when sent.
    case reviewRequest(requestID: UUID, step: Int)

    enum CodingKeys: String, CodingKey {
        case type, messageID = "message_id", automatic, to, subject, body, endpointID = "endpoint_id", event, requestID = "request_id", step
        case fromName = "from_name", conversationID = "conversation_id", stop, sample, name
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
                body: try c.decode(String.self, forKey: .body), fromName: try c.decodeIfPresent(String.self, forKey: .fromName))
        case "team_notice":
            self = .teamNotice(
                to: try c.decode(String.self, forKey: .to), subject: try c.decode(String.self, forKey: .subject),
                body: try c.decode(String.self, forKey: .body), conversationID: try c.decodeIfPresent(UUID.self, forKey: .conversationID),
                stop: try c.decode(String.self, forKey: .stop))
        case "sample":
            self = .sample(
                kind: try c.decode(SampleKind.self, forKey: .sample), to: try c.decode(String.self, forKey: .to),
                name: try c.decode(String.self, forKey: .name))
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
        case .staffNotification(let to, let subject, let body, let fromName):
            try c.encode("staff_notification", forKey: .type)
            try c.encode(to, forKey: .to)
            try c.encode(subject, forKey: .subject)
            try c.encode(body, forKey: .body)
            try c.encodeIfPresent(fromName, forKey: .fromName)
        case .teamNotice(let to, let subject, let body, let conversationID, let stop):
            try c.encode("team_notice", forKey: .type)
            try c.encode(to, forKey: .to)
            try c.encode(subject, forKey: .subject)
            try c.encode(body, forKey: .body)
            try c.encodeIfPresent(conversationID, forKey: .conversationID)
            try c.encode(stop, forKey: .stop)
        case .sample(let kind, let to, let name):
            try c.encode("sample", forKey: .type)
            try c.encode(kind, forKey: .sample)
            try c.encode(to, forKey: .to)
            try c.encode(name, forKey: .name)
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
        case .reviewRequest, .staffNotification, .teamNotice, .sample: 1
        }
    }

    /// Sent without a person: carries `Auto-Submitted: auto-generated` (RFC 3834).
    var isAutomatic: Bool {
        switch self {
        case .conversationMessage(_, let automatic): automatic
        case .reviewRequest, .staffNotification, .teamNotice, .sample: true
        case .webhook: false
        }
    }
}

public enum Outbox {
    /// `next_attempt_at` of a mail waiting for the one before it: past any real date, outside every claim's range.
    public static let waiting = Date(timeIntervalSince1970: 32_503_680_000) // 3000-01-01

    /// Queues a delivery in the caller's transaction.
    /// `conversationID`: a mail to the customer of that conversation, delivered only after the ones
    /// queued for it before (a reply never overtakes the message before it).
    static func enqueue(_ payload: OutboxPayload, storeID: UUID, now: Date, conversationID: UUID? = nil, on sql: any SQLDatabase) async throws {
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
        job.conversationID = conversationID
        let action = UndoableAction.current
        if let action {
            job.nextAttemptAt = max(now, action.until)
            job.actionID = action.id
        }
        if payload.kind == .email {
            // On PostgreSQL the earlier mail is locked, so a delivery recorded meanwhile either sees
            // this one (and releases it) or is seen here as no longer pending.
            let lock: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
            let pending = OutboxStatus.pending.rawValue
            var previous = action?.chain(email: job.id!)
            // A write run again (after its batch rolled back) may name a mail that was never kept.
            if let earlier = previous,
                try await sql.raw("SELECT id FROM outbox WHERE id = \(bind: earlier) AND status = \(bind: pending)\(lock)").first() == nil
            {
                previous = nil
            }
            if previous == nil, let conversationID {
                // The end of the conversation's line: its newest pending mail that no pending mail follows yet.
                previous = try await sql.raw(
                    """
                    SELECT id FROM outbox AS o WHERE conversation_id = \(bind: conversationID) AND status = \(bind: pending)
                      AND NOT EXISTS (SELECT 1 FROM outbox AS f WHERE f.follows = o.id AND f.status = \(bind: pending))
                    ORDER BY created_at DESC LIMIT 1\(lock)
                    """
                ).first()?.decode(column: "id", as: UUID.self)
            }
            // A mail behind another waits out of the due range (so claims never scan a long chain),
            // until the one before it is delivered or dead (`OutboxQueue.releaseFollowers`).
            if let previous {
                job.follows = previous
                job.nextAttemptAt = Outbox.waiting
            }
        }
        try await sql.insert(job, into: OutboxJob.table)
        WriteEffects.noteQueuedDelivery()
    }

    /// Queues an automatic mail to a customer in the caller's transaction, unless that address
    /// bounced for good or has had this hour's automatic mails (`AutomaticMailLimit`): then nothing
    /// is queued, and the reason comes back for the caller to record.
    static func enqueueAutomatic(
        _ payload: OutboxPayload, to email: String, storeID: UUID, now: Date, conversationID: UUID? = nil, on sql: any SQLDatabase
    ) async throws -> String? {
        if try await MailBounces.isSuppressed(storeID: storeID, email: email, on: sql) {
            return "Not emailed: mail to \(email) bounced earlier (Settings → Email clears it)."
        }
        guard try await AutomaticMailLimit.take(storeID: storeID, email: email, now: now, on: sql) else {
            return "Not emailed: \(AutomaticMailLimit.perHour) automatic mails went to \(email) this hour (a mail loop is the usual cause)."
        }
        try await enqueue(payload, storeID: storeID, now: now, conversationID: conversationID, on: sql)
        return nil
    }
}

import FluentKit
import Foundation
import SQLKit

/// A conversation's thread: opening a conversation and adding messages to it. Every message to the
/// customer queues its email in the same transaction. (What staff do with conversations is
/// `ConversationService`.)
public enum ConversationThread {
    /// A new conversation, not yet stored.
    static func make(for s: CareSubject, subject: String, now: Date) throws -> Conversation {
        let c = Conversation()
        c.id = UUID()
        c.storeID = try s.store.requireID()
        c.customerID = try s.customer.requireID()
        c.reviewID = s.review?.id
        c.subject = String(subject.prefix(200))
        c.status = .open
        c.priority = .normal
        c.tagsJSON = "[]"
        c.token = Secrets.randomToken(bytes: 18)
        c.createdAt = now
        c.updatedAt = now
        return c
    }

    /// A conversation a write is about to change, locked until its commit (see `rows(_:forUpdate:)`).
    static func loadForChange(on sql: any SQLDatabase, _ filter: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> Conversation? {
        try await sql.rows(Conversation.table, forUpdate: true, filter).first
    }

    /// A message from the store to the customer, emailed. `countsAsResponse` is true for a person's
    /// reply (it sets the first-response time); automatic messages from triggers don't.
    /// `automaticTo`: for an automatic message, the customer's address (held back when it bounced or
    /// had this hour's automatic mails, with a system line saying so).
    @discardableResult
    static func sendStaffMessage(
        _ body: String, staffID: UUID?, in c: Conversation, now: Date, countsAsResponse: Bool, automaticTo: String? = nil,
        on sql: any SQLDatabase
    ) async throws -> ConversationMessage {
        if countsAsResponse { try await SLAClock.answered(c, staffID: staffID, now: now, on: sql) }
        let (m, email) = stageStaffMessage(body, staffID: staffID, in: c, now: now, countsAsResponse: countsAsResponse)
        try await insert(m, now: now, on: sql)
        if !countsAsResponse, let to = automaticTo {
            if let held = try await Outbox.enqueueAutomatic(email, to: to, storeID: c.storeID, now: now, conversationID: c.id, on: sql) {
                try await addMessage(.system, body: held, staffID: nil, to: c, now: now.addingTimeInterval(0.001), on: sql)
            }
        } else {
            try await Outbox.enqueue(email, storeID: c.storeID, now: now, conversationID: c.id, on: sql)
        }
        c.updatedAt = now
        try await ConversationThread.update(c, on: sql)
        return m
    }

    /// What a message from the store to the customer is, in memory: the message (stamped `sentAt`,
    /// `now` unless several are sent in one moment), the email to queue for it, and what it changes
    /// on the conversation. Writing them is the caller's: `sendStaffMessage` at once, a trigger's
    /// actions together with their other writes.
    static func stageStaffMessage(
        _ body: String, staffID: UUID?, in c: Conversation, now: Date, sentAt: Date? = nil,
        countsAsResponse: Bool
    ) -> (ConversationMessage, OutboxPayload) {
        let m = makeMessage(.staff, body: body, staffID: staffID, to: c, now: sentAt ?? now)
        c.lastStaffAt = now
        if countsAsResponse {
            if c.firstResponseAt == nil { c.firstResponseAt = now }
            if c.status == .open { c.status = .waiting }
        }
        return (m, .conversationMessage(messageID: m.id!, automatic: !countsAsResponse))
    }

    @discardableResult
    static func addMessage(
        _ author: MessageAuthor, body: String, staffID: UUID?, to c: Conversation, now: Date,
        emailMessageID: String? = nil, on sql: any SQLDatabase
    ) async throws -> ConversationMessage {
        let m = makeMessage(author, body: body, staffID: staffID, to: c, now: now, emailMessageID: emailMessageID)
        try await insert(m, now: now, on: sql)
        return m
    }

    /// Stores a new conversation and tells the store's webhooks it opened.
    static func insert(_ c: Conversation, customer: Customer, now: Date, on sql: any SQLDatabase) async throws {
        try await insertRow(c, on: sql)
        try await Webhooks.enqueue(.conversationOpened, data: WebhookData.conversation(c, customer: customer), storeID: c.storeID, now: now, on: sql)
    }

    /// Stores a new message and tells the store's webhooks.
    static func insert(_ m: ConversationMessage, now: Date, on sql: any SQLDatabase) async throws {
        try await insertRow(m, on: sql)
        try await Webhooks.enqueue(.conversationMessageCreated, data: WebhookData.message(m), storeID: m.storeID, now: now, on: sql)
    }

    /// Marks a conversation resolved (the caller writes the row) and tells the store's webhooks.
    static func markResolved(_ c: Conversation, note: String?, customer: Customer?, now: Date, on sql: any SQLDatabase) async throws {
        try await SLAClock.resolved(c, now: now, on: sql)
        c.status = .resolved
        c.resolvedAt = now
        c.resolutionNote = note
        c.updatedAt = now
        try await Webhooks.enqueue(
            .conversationResolved, data: WebhookData.conversation(c, customer: customer), storeID: c.storeID, now: now, on: sql)
    }

    /// A new message, not yet stored.
    static func makeMessage(
        _ author: MessageAuthor, body: String, staffID: UUID?, to c: Conversation, now: Date,
        emailMessageID: String? = nil
    ) -> ConversationMessage {
        let m = ConversationMessage()
        m.id = UUID()
        m.storeID = c.storeID
        m.conversationID = c.id!
        m.author = author
        m.staffID = staffID
        m.body = body
        m.emailMessageID = emailMessageID
        // Messages made in one moment keep their order.
        m.createdAt = now
        if let action = UndoableAction.current {
            m.actionID = action.id
            m.heldUntil = action.held
        }
        return m
    }
}

extension ConversationThread {
    /// The rows, through their `RowTable` descriptions.
    static func insertRow(_ c: Conversation, on sql: any SQLDatabase) async throws {
        try await sql.insert(c, into: Conversation.table)
    }

    /// Writes every changeable field of a conversation back.
    static func update(_ c: Conversation, on sql: any SQLDatabase) async throws {
        try await sql.update(c, in: Conversation.table)
    }

    static func insertRow(_ m: ConversationMessage, on sql: any SQLDatabase) async throws {
        try await sql.insert(m, into: ConversationMessage.table)
    }
}

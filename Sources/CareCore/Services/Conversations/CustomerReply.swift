import Foundation
import SQLKit

/// The customer wrote back, by email or on their page: one path for both, inside the caller's
/// write. The message is added, the conversation is open again and on the store's side, and the
/// store's `conversation.customer_replied` triggers run on the conversation's whole subject (after
/// `conversation.opened`'s, when the reply is what opened it).
enum CustomerReply {
    static func record(
        _ body: String, to c: Conversation, subject: CareSubject, opened: Bool = false, emailMessageID: String? = nil,
        links: CareLinks, now: Date, on sql: any SQLDatabase
    ) async throws -> ConversationMessage {
        let m = try await ConversationThread.addMessage(.customer, body: body, staffID: nil, to: c, now: now, emailMessageID: emailMessageID, on: sql)
        c.status = .open
        c.resolvedAt = nil
        c.lastCustomerAt = now
        try await SLAClock.customerWrote(c, now: now, on: sql)
        c.updatedAt = now
        try await ConversationThread.update(c, on: sql)
        if let assignee = c.assigneeID {
            let who = subject.customer.name ?? subject.customer.email
            let preview = body.count > 140 ? String(body.prefix(140)) + "…" : body
            try await StaffNotifications.tell(
                [assignee], .customerReplied, about: c, text: "\(who) answered “\(c.subject)”: \(preview)", links: links, now: now, on: sql)
        }
        if opened { try await TriggerRunner.fire(.conversationOpened, subject: subject, links: links, now: now, on: sql) }
        try await TriggerRunner.fire(.conversationCustomerReplied, subject: subject, links: links, now: now, on: sql)
        return m
    }
}

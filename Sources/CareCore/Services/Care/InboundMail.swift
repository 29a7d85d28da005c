import FluentKit
import Foundation
import SQLKit

/// A customer's emailed reply, coming back into its conversation.
///
/// Matching, in order: the `reply+TOKEN@` address (the token opens exactly one conversation, and only
/// within the store the mail was posted for), then In-Reply-To / References against the Message-IDs
/// CareLoop sent or received. Mail that matches nothing but comes from a known customer of the store
/// opens a new conversation. Anything else is skipped, with the reason, never guessed at.
public enum InboundMail {
    public enum Outcome: Sendable, Equatable {
        case added(conversationID: UUID, messageID: UUID, opened: Bool)
        case skipped(reason: String)
    }

    public static func secret(for storeID: UUID, storage: CareStorage, on db: any Database) async throws -> String {
        // Almost always made already: read it without taking the writer.
        if let existing = try await db.sql.raw("SELECT inbound_secret FROM stores WHERE id = \(bind: storeID)")
            .first()?.decode(column: "inbound_secret", as: String?.self)
        {
            return existing
        }
        return try await storage.write(on: db) { sql in
            if let existing = try await sql.raw("SELECT inbound_secret FROM stores WHERE id = \(bind: storeID)").first()?
                .decode(column: "inbound_secret", as: String?.self)
            {
                return existing
            }
            let secret = "inb_" + Secrets.randomToken()
            try await sql.raw("UPDATE stores SET inbound_secret = \(bind: secret) WHERE id = \(bind: storeID)").run()
            return secret
        }
    }

    public static func store(forSecret secret: String, on db: any Database) async throws -> Store? {
        guard secret.hasPrefix("inb_"), secret.count < 200 else { return nil }
        return try await Store.query(on: db).filter(\.$inboundSecret == secret).first()
    }

    /// The most of a reply kept in a conversation: the same limit as any message. Longer mail is cut
    /// and the message says so (a mail system cannot be asked to shorten it).
    public static let maxBody = 20_000

    /// What a customer's mail says, as a message body: control characters a message may not contain
    /// shown as U+FFFD (so nothing is silently dropped), cut to `maxBody` with a line saying how much
    /// was left out.
    public static func messageBody(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            let control = (c.value < 0x20 && c != "\n" && c != "\t") || c.value == 0x7F
            scalars.append(control ? "\u{FFFD}" : c)
        }
        // Counted in scalars, not characters: one character can carry any number of combining marks.
        let count = scalars.count
        guard count > maxBody else { return String(scalars) }
        let note = "\n\n[CareLoop: this email was longer than \(maxBody) characters; the last \(count - (maxBody - 200)) were left out.]"
        return String(String.UnicodeScalarView(scalars.prefix(maxBody - 200))) + note
    }

    /// Reads a raw email. CPU work proportional to its size: callers run it off the event loop.
    public static func parse(_ raw: Data) -> MIMEMessage { MIMEMessage(raw: raw) }

    public static func receive(
        _ message: MIMEMessage, store: Store, mail: MailSettings, links: CareLinks, storage: CareStorage,
        on db: any Database
    ) async throws -> Outcome {
        guard let from = message.fromAddress, (try? EmailAddress(from)) != nil else { return .skipped(reason: "no sender address") }
        if let unsubscribe = try await RequestMail.unsubscribeByMail(
            message, store: store, mailDomain: mail.domain, links: links, storage: storage, on: db)
        {
            return unsubscribe
        }
        let full = message.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let reply = ReplyText.extract(message.text)
        let body = messageBody(reply.isEmpty ? full : reply)
        guard !body.isEmpty else { return .skipped(reason: "no readable text") }
        let storeID = try store.requireID()
        // A Message-ID longer than any real one is not kept (it is only used to spot repeats).
        let inboundID = message.header("Message-ID").flatMap { MIME.messageIDs($0).first }.flatMap { $0.count <= 250 ? $0 : nil }
        // A subject longer than a conversation's ends in "…", so the cut shows.
        let mailSubject = message.subject.map { messageBody($0).replacingOccurrences(of: "\u{FFFD}", with: " ") }
            .map { $0.unicodeScalars.count > 200 ? String(String.UnicodeScalarView($0.unicodeScalars.prefix(199))) + "…" : $0 }
            .flatMap { try? Text.optional($0, field: "subject", max: 200) }
        let token = message.replyToken(domain: mail.domain)
        let references = message.referencedIDs

        return try await storage.write(on: db) { sql in
            let now = storage.now()
            var conversation: Conversation?
            if let token {
                conversation = try await Conversations.loadForChange(on: sql) { $0.where("token", .equal, token).where("store_id", .equal, storeID) }
                if conversation == nil { return .skipped(reason: "reply token matches no conversation of this store") }
                // A reply to a merged conversation's address belongs to the one it was merged into.
                if let c = conversation { conversation = try await ConversationMerge.kept(c, forUpdate: true, on: sql) }
            }
            if conversation == nil, !references.isEmpty {
                let known = try await sql.raw(
                    """
                    SELECT conversation_id FROM conversation_messages
                    WHERE store_id = \(bind: storeID) AND email_message_id IN \(SQLBind.group(references)) LIMIT 1
                    """
                ).first()?.decode(column: "conversation_id", as: UUID.self)
                if let known { conversation = try await Conversations.loadForChange(on: sql) { $0.where("id", .equal, known) } }
            }
            if let c = conversation, let inboundID,
                try await sql.raw(
                    """
                    SELECT id FROM conversation_messages WHERE conversation_id = \(bind: c.id!) AND email_message_id = \(bind: inboundID)
                    """
                ).first() != nil
            {
                return .skipped(reason: "already received (same Message-ID)")
            }
            // A reply to a review request email: about that order, from the buyer it was sent to.
            if conversation == nil, let requestID = RequestMail.requestID(referencedBy: references, mailDomain: mail.domain),
                let r = try await sql.rows(
                    ReviewRequest.table, forUpdate: true, { $0.where("id", .equal, requestID).where("store_id", .equal, storeID) }
                )
                .first
            {
                let buyer = try await sql.rows(Customer.table, { $0.where("id", .equal, r.customerID) }).first
                guard let buyer, buyer.email == (try? EmailAddress(from))?.value else {
                    return .skipped(reason: "a reply to a review request from another address than its buyer's")
                }
                if let id = r.conversationID, let inboundID,
                    try await sql.raw(
                        "SELECT id FROM conversation_messages WHERE conversation_id = \(bind: id) AND email_message_id = \(bind: inboundID)"
                    ).first() != nil
                {
                    return .skipped(reason: "already received (same Message-ID)")
                }
                let done = try await ReviewRequests.converse(
                    r, body: body, emailMessageID: inboundID, stop: "replied", links: links, now: now, on: sql)
                return .added(conversationID: try done.conversation.requireID(), messageID: try done.message.requireID(), opened: done.opened)
            }
            var customer: Customer?
            if let c = conversation {
                customer = try await sql.first(Customer.self) { $0.where("id", .equal, c.customerID) }
            } else {
                customer = try await CatalogRows.customer(storeID: storeID, email: from, on: sql)
            }
            guard let customer else { return .skipped(reason: "sender is not a customer of this store") }

            var opened = false
            let c: Conversation
            if let found = conversation {
                c = found
            } else {
                c = try Conversations.make(
                    for: CareSubject(store: store, customer: customer),
                    subject: mailSubject ?? "Message from \(customer.name ?? customer.email)", now: now)
                try await Conversations.insert(c, customer: customer, now: now, on: sql)
                opened = true
            }
            let subject = try await CareSubject.of(c, store: store, customer: customer, on: sql)
            let m = try await CustomerReply.record(
                body, to: c, subject: subject, opened: opened, emailMessageID: inboundID,
                links: links, now: now, on: sql)
            return .added(conversationID: c.id!, messageID: m.id!, opened: opened)
        }
    }
}

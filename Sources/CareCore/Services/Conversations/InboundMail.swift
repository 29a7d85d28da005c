import FluentKit
import Foundation
import SQLKit

/// Mail coming back: a customer's reply joining its conversation, an auto-responder's answer kept
/// as a line staff can read, a bounce marking an address undeliverable.
///
/// Matching, in order: the `bounce+TOKEN@` return path (a delivery report about exactly the mail it
/// names), then the `reply+TOKEN@` address (the token opens exactly one conversation), then
/// In-Reply-To / References against the Message-IDs CareLoop sent or received. A store's own pipe
/// only reaches that store; the installation's pipe reaches whichever store the token names. Mail
/// that matches nothing but comes from a known customer of the store (its own pipe) opens a new
/// conversation. Anything else is skipped, with the reason, never guessed at.
///
/// Automatic mail (RFC 3834: out-of-office, vacation responders, lists, delivery reports) is never
/// the customer speaking: it reopens nothing, starts no clock, fires no trigger and opens no
/// conversation. CareLoop never answers it.
public enum InboundMail {
    public enum Outcome: Sendable, Equatable {
        case added(conversationID: UUID, messageID: UUID, opened: Bool)
        /// An automatic answer kept on its conversation as a system line.
        case automatic(conversationID: UUID, messageID: UUID)
        /// A delivery report about one of CareLoop's mails, recorded.
        case bounce(permanent: Bool)
        case skipped(reason: String)
    }

    /// Which mail pipe posted the mail: a store's own (its inbound secret) or the installation's
    /// (`CARELOOP_INBOUND_SECRET`), for the `reply+`, `bounce+` and `unsubscribe@` addresses of the
    /// mail domain, whatever store they belong to.
    public enum Scope: Sendable {
        case store(Store)
        case installation

        public var storeID: UUID? {
            if case .store(let s) = self { return s.id }
            return nil
        }
    }

    /// A mail read and made ready to store: everything that costs time in proportion to its size
    /// is done here, off the shared threads, before any database work.
    public struct Read: Sendable {
        public let message: MIMEMessage
        public let kind: AutomaticMail.Kind
        /// What the customer wrote, as a message body (see `messageBody`).
        public let body: String
        /// For an automatic answer: the line staff see on the conversation.
        public let automaticNote: String
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
    /// shown as U+FFFD (so nothing is silently dropped), cut to `maxBody` with a line saying so.
    /// `cut`: the mail was already longer than what was read of it.
    public static func messageBody(_ text: String, cut: Bool = false) -> String {
        var scalars = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            let control = (c.value < 0x20 && c != "\n" && c != "\t") || c.value == 0x7F
            scalars.append(control ? "\u{FFFD}" : c)
        }
        // Counted in scalars, not characters: one character can carry any number of combining marks.
        let count = scalars.count
        guard count > maxBody || cut else { return String(scalars) }
        let kept = min(count, maxBody - 200)
        let note = "\n\n[CareLoop: this email was longer than \(maxBody) characters; the rest was left out.]"
        return String(String.UnicodeScalarView(scalars.prefix(kept))) + note
    }

    /// Reads a raw email. CPU work in proportion to its size (bounded by `MIMEMessage`'s limits):
    /// callers run it off the event loops and the cooperative pool. A header section past those
    /// limits is refused: no real mail has one.
    public static func read(_ raw: Data) throws -> Read {
        let message = MIMEMessage(raw: raw)
        if message.headersTooLarge {
            throw CareError.mailHeadersTooLarge(
                message:
                    "the mail's header section is larger than \(MIMEMessage.maxHeaderBytes / 1024) KiB or has more than \(MIMEMessage.maxHeaderLines) lines"
            )
        }
        let kind = AutomaticMail.kind(of: message)
        let full = message.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let reply = ReplyText.extract(message.text)
        let body = messageBody(reply.isEmpty ? full : reply, cut: message.textCut)
        var note = ""
        if kind != .person {
            // The gist of an out-of-office ("away until …"): its subject and first lines.
            let gist = String(String.UnicodeScalarView(messageBody(reply.isEmpty ? full : reply).unicodeScalars.prefix(300)))
                .replacingOccurrences(of: "\n", with: " ")
            let subject = message.subject.map { messageBody(String($0.prefix(200))) } ?? ""
            note = "Automatic reply" + (subject.isEmpty ? "" : " (\(subject))") + (gist.isEmpty ? "." : ": \(gist)")
        }
        return Read(message: message, kind: kind, body: body, automaticNote: note)
    }

    public static func receive(
        _ mail: Read, scope: Scope, settings: MailSettings, links: CareLinks, storage: CareStorage,
        on db: any Database
    ) async throws -> Outcome {
        let message = mail.message
        if let token = message.bounceToken(domain: settings.domain) {
            return try await MailBounces.receive(mail, token: token, scope: scope, links: links, storage: storage, on: db)
        }
        if mail.kind == .deliveryReport { return .skipped(reason: "a delivery report not sent to one of CareLoop's return paths") }
        guard let from = message.fromAddress, (try? EmailAddress(from)) != nil else { return .skipped(reason: "no sender address") }
        if let unsubscribe = try await RequestMail.unsubscribeByMail(message, links: links, storage: storage, on: db) {
            return unsubscribe
        }
        let scopeStoreID = scope.storeID
        // A Message-ID CareLoop cannot keep (see `MIME.isSafeMessageID`) is left out: it is only used to spot repeats.
        let inboundID = message.messageID
        // A subject longer than a conversation's ends in "…", so the cut shows.
        let mailSubject = message.subject.map { messageBody($0).replacingOccurrences(of: "\u{FFFD}", with: " ") }
            .map { $0.unicodeScalars.count > 200 ? String(String.UnicodeScalarView($0.unicodeScalars.prefix(199))) + "…" : $0 }
            .flatMap { try? Text.optional($0, field: "subject", max: 200) }
        let token = message.replyToken(domain: settings.domain)
        let references = message.referencedIDs
        let body = mail.body

        return try await storage.write(on: db) { sql in
            let now = storage.now()
            var conversation: Conversation?
            if let token {
                conversation = try await ConversationThread.loadForChange(on: sql) { q in
                    let byToken = q.where("token", .equal, token)
                    return scopeStoreID.map { byToken.where("store_id", .equal, $0) } ?? byToken
                }
                if conversation == nil { return .skipped(reason: "reply token matches no conversation of this store") }
                // A reply to a merged conversation's address belongs to the one it was merged into.
                if let c = conversation { conversation = try await ConversationMerge.kept(c, forUpdate: true, on: sql) }
            }
            if conversation == nil, !references.isEmpty {
                let storeClause: SQLQueryString = scopeStoreID.map { "store_id = \(bind: $0) AND " } ?? ""
                let known = try await sql.raw(
                    """
                    SELECT conversation_id FROM conversation_messages
                    WHERE \(storeClause)email_message_id IN \(SQLBind.group(references)) LIMIT 1
                    """
                ).first()?.decode(column: "conversation_id", as: UUID.self)
                if let known, let c = try await ConversationThread.loadForChange(on: sql, { $0.where("id", .equal, known) }) {
                    conversation = try await ConversationMerge.kept(c, forUpdate: true, on: sql)
                }
            }
            if let c = conversation, let inboundID, try await alreadyReceived(inboundID, in: c.id!, on: sql) {
                return .skipped(reason: "already received (same Message-ID)")
            }
            // A reply to a review request email: about that order, from the buyer it was sent to.
            if conversation == nil, let requestID = RequestMail.requestID(referencedBy: references, mailDomain: settings.domain),
                let r = try await sql.rows(
                    ReviewRequest.table, forUpdate: true,
                    { q in
                        let byID = q.where("id", .equal, requestID)
                        return scopeStoreID.map { byID.where("store_id", .equal, $0) } ?? byID
                    }
                )
                .first
            {
                let buyer = try await sql.rows(Customer.table, { $0.where("id", .equal, r.customerID) }).first
                guard let buyer, buyer.email == (try? EmailAddress(from))?.value else {
                    return .skipped(reason: "a reply to a review request from another address than its buyer's")
                }
                if let id = r.conversationID, let inboundID, try await alreadyReceived(inboundID, in: id, on: sql) {
                    return .skipped(reason: "already received (same Message-ID)")
                }
                guard mail.kind == .person else {
                    // An out-of-office answer to a request: nothing to open, no reminder stopped.
                    return .skipped(reason: "an automatic reply (\(mail.kind.rawValue)) to a review request: nothing done")
                }
                try await MailBounces.clear(storeID: r.storeID, email: buyer.email, now: now, on: sql)
                let done = try await ReviewRequests.converse(
                    r, body: body, emailMessageID: inboundID, stop: "replied", links: links, now: now, on: sql)
                return .added(conversationID: try done.conversation.requireID(), messageID: try done.message.requireID(), opened: done.opened)
            }
            if let c = conversation, mail.kind != .person {
                // Kept where staff can read it ("away until Monday"); the conversation stays as it was.
                let m = try await ConversationThread.addMessage(
                    .system, body: mail.automaticNote, staffID: nil, to: c, now: now, emailMessageID: inboundID, on: sql)
                return .automatic(conversationID: c.id!, messageID: m.id!)
            }
            guard mail.kind == .person else { return .skipped(reason: "an automatic mail (\(mail.kind.rawValue)) that answers no conversation") }
            guard !body.isEmpty else { return .skipped(reason: "no readable text") }

            let store: Store
            var customer: Customer?
            if let c = conversation {
                customer = try await sql.first(Customer.self) { $0.where("id", .equal, c.customerID) }
                guard let s = try await sql.rows(Store.table, { $0.where("id", .equal, c.storeID) }).first else {
                    return .skipped(reason: "the conversation's store no longer exists")
                }
                store = s
            } else if case .store(let s) = scope {
                store = s
                customer = try await Catalog.storedCustomer(storeID: try s.requireID(), email: from, on: sql)
            } else {
                return .skipped(reason: "no CareLoop address in this mail names a conversation, and the installation's pipe opens none")
            }
            guard let customer else { return .skipped(reason: "sender is not a customer of this store") }
            // An answer to one of the store's own mails (its reply address or Message-ID, which only the
            // mailbox that got it knows) shows the mailbox works again: an earlier bounce no longer holds
            // mail back. A From line alone proves nothing, so it clears nothing.
            if conversation != nil, customer.email == from {
                try await MailBounces.clear(storeID: customer.storeID, email: from, now: now, on: sql)
            }

            var opened = false
            let c: Conversation
            if let found = conversation {
                c = found
            } else {
                c = try ConversationThread.make(
                    for: CareSubject(store: store, customer: customer),
                    subject: mailSubject ?? "Message from \(customer.name ?? customer.email)", now: now)
                try await ConversationThread.insert(c, customer: customer, now: now, on: sql)
                opened = true
            }
            let subject = try await CareSubject.of(c, store: store, customer: customer, on: sql)
            let m = try await CustomerReply.record(
                body, to: c, subject: subject, opened: opened, emailMessageID: inboundID,
                links: links, now: now, on: sql)
            return .added(conversationID: c.id!, messageID: m.id!, opened: opened)
        }
    }

    static func alreadyReceived(_ inboundID: String, in conversationID: UUID, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw(
            "SELECT id FROM conversation_messages WHERE conversation_id = \(bind: conversationID) AND email_message_id = \(bind: inboundID)"
        ).first() != nil
    }
}

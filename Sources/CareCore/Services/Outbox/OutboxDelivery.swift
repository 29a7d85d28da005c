import FluentKit
import Foundation
import SQLKit

/// Turns an outbox job into a real delivery.
public enum OutboxDelivery {
    public enum Failure: Error, CustomStringConvertible {
        case permanent(String)
        case transient(String)
        public var description: String {
            switch self {
            case .permanent(let s), .transient(let s): s
            }
        }
    }

    /// Delivers the job; what it returns is written with the job's completion, in the same write.
    /// `deadline`: when the caller gives up on this delivery; a mail not begun by then minus the
    /// relay's message time is not begun at all (else it could still go out after the caller, having
    /// given up, queued it again).
    public static func deliver(
        _ job: OutboxQueue.Claimed, mail: MailSettings, links: CareLinks, allowPrivateWebhooks: Bool = false,
        deadline: Date = Date().addingTimeInterval(60), storage: CareStorage, on db: any Database
    ) async throws -> OutboxQueue.Completion? {
        guard let payload = job.payload else { throw Failure.permanent("unreadable outbox payload: \(job.rawPayload.prefix(200))") }
        switch payload {
        case .conversationMessage(let messageID, let automatic):
            return try await sendConversationMessage(
                messageID, automatic: automatic, job: job, deadline: deadline, mail: mail, links: links, storage: storage, on: db)
        case .teamNotice(let to, let subject, let body, let conversationID, let stop):
            // Every notice about one conversation threads on the same (never sent) root message.
            let root = conversationID.map { mail.messageID(for: "notices-\($0.uuidString)") }
            var m = OutgoingMail(
                fromName: "CareLoop", fromAddress: mail.fromAddress, to: to, toName: nil, replyTo: nil,
                subject: subject, text: body + "\n\n--\nStop these emails: \(stop)\n", html: nil,
                messageID: mail.messageID(for: job.id.uuidString), inReplyTo: root, references: root.map { [$0] } ?? [], date: storage.now())
            m.automatic = true
            m.extraHeaders = [("List-Unsubscribe", "<\(stop)>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
            try await send(
                m, to: [to], as: Sending(job: job, kind: "notification", limited: false, deadline: deadline), mail: mail, links: links,
                storage: storage, on: db)
            return nil
        case .sample(let kind, let to, let name):
            let m = try await sample(kind, to: to, name: name, job: job, mail: mail, links: links, storage: storage, on: db)
            try await send(
                m, to: [to], as: Sending(job: job, kind: "notification", limited: false, deadline: deadline), mail: mail, links: links,
                storage: storage, on: db)
            return nil
        case .staffNotification(let to, let subject, let body, let fromName):
            var m = OutgoingMail(
                fromName: fromName ?? "CareLoop", fromAddress: mail.fromAddress, to: to[0], toName: nil, replyTo: nil,
                subject: subject, text: body, html: nil, messageID: mail.messageID(for: job.id.uuidString),
                inReplyTo: nil, references: [], date: storage.now())
            m.automatic = true
            try await send(
                m, to: to, as: Sending(job: job, kind: "notification", limited: false, deadline: deadline), mail: mail, links: links,
                storage: storage, on: db)
            return nil
        case .reviewRequest(let requestID, let step):
            try await RequestMail.send(
                requestID: requestID, step: step, job: job, deadline: deadline, mail: mail, links: links, storage: storage, on: db)
            return nil
        case .webhook(let endpointID, _, let body):
            try await WebhookDelivery.post(
                jobID: job.id, endpointID: endpointID, body: body, now: storage.now(), allowPrivate: allowPrivateWebhooks, on: db)
            return nil
        }
    }

    static func sendConversationMessage(
        _ id: UUID, automatic: Bool, job: OutboxQueue.Claimed, deadline: Date, mail: MailSettings, links: CareLinks, storage: CareStorage,
        on db: any Database
    ) async throws -> OutboxQueue.Completion {
        // Everything the mail needs in one read: the message, its conversation, customer, store and colour.
        guard
            let row = try await db.sql.raw(
                """
                SELECT m.body, m.created_at, m.conversation_id, c.token, c.subject, c.store_id, c.customer_id, u.email, u.name, s.name AS store_name, b.colour
                FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id JOIN customers u ON u.id = c.customer_id
                JOIN stores s ON s.id = c.store_id LEFT JOIN store_brands b ON b.store_id = c.store_id
                WHERE m.id = \(bind: id)
                """
            ).first()
        else { throw Failure.permanent("the message or its conversation no longer exists") }
        let email = try row.decode(column: "email", as: String.self)
        guard !email.hasSuffix("@erased.invalid") else { throw Failure.permanent("the customer was erased") }
        let createdAt = try row.decode(column: "created_at", as: Date.self)
        let token = try row.decode(column: "token", as: String.self)
        // Thread on the earlier mails of the conversation, in order: the first and the latest 19 are
        // enough for every mail program (RFC 5322 §3.6.4 keeps the first and the newest).
        let earlier = try await db.sql.raw(
            """
            SELECT email_message_id FROM conversation_messages
            WHERE conversation_id = \(bind: try row.decode(column: "conversation_id", as: UUID.self)) AND created_at < \(bind: createdAt)
              AND email_message_id IS NOT NULL ORDER BY created_at
            """
        ).all().map { try $0.decode(column: "email_message_id", as: String.self) }
        let references = earlier.count > 20 ? [earlier[0]] + earlier.suffix(19) : earlier
        let store = try row.decode(column: "store_name", as: String.self)
        let messageID = mail.messageID(for: id.uuidString)
        let language = try await CareLanguage.of(
            customerID: try row.decode(column: "customer_id", as: UUID.self), storeID: try row.decode(column: "store_id", as: UUID.self), on: db.sql)
        let m = MessageFormat.mail(
            try row.decode(column: "body", as: String.self), id: messageID, store: store,
            look: StoreBrand.Look(colour: try row.decode(column: "colour", as: String?.self)),
            to: (email, try row.decode(column: "name", as: String?.self)), subject: try row.decode(column: "subject", as: String.self),
            earlier: references, page: links.conversationPage(token: token, issuedAt: createdAt), replyTo: mail.replyAddress(token: token),
            from: mail.fromAddress, date: createdAt, automatic: automatic, language: language)
        try await send(
            m, to: [email], as: Sending(job: job, kind: "care", limited: automatic, deadline: deadline), mail: mail, links: links, storage: storage,
            on: db)
        // Recorded with the delivery itself, in one write.
        return { sql in
            try await sql.raw("UPDATE conversation_messages SET email_message_id = \(bind: messageID) WHERE id = \(bind: id)").run()
        }
    }

    /// A sample mail as a customer of this store would get it, addressed to a staff member trying it.
    static func sample(
        _ kind: OutboxPayload.SampleKind, to: String, name: String, job: OutboxQueue.Claimed, mail: MailSettings, links: CareLinks,
        storage: CareStorage, on db: any Database
    ) async throws -> OutgoingMail {
        guard let store = try await db.sql.rows(Store.table, { $0.where("id", .equal, job.storeID) }).first else {
            throw Failure.permanent("the store no longer exists")
        }
        let settings = try await RequestSettings.load(storeID: job.storeID, on: db.sql)
        let language = settings.language
        var m: OutgoingMail
        switch kind {
        case .request:
            m = RequestMail.preview(
                store: store, settings: settings, links: links, mailDomain: mail.domain, fromAddress: mail.fromAddress, customer: (to, name),
                look: try await StoreBrand.load(storeID: job.storeID, on: db))
        case .care:
            let first = name.split(separator: " ").first.map(String.init) ?? ""
            let product = language == .de ? "Beispielprodukt" : "Example product"
            let values = ["customer.first_name": first, "product.name": product, "store.name": store.name]
            let text = Template.render(
                CareLanguage.localized(DefaultTriggers.lowRatingText, to: language), values: values,
                firstNameFallback: CareLanguage.firstNameFallback(language))
            let note =
                language == .de
                ? "(Ein Test: so schreibt CareLoop einem Kunden nach einer 1★-Bewertung. Antworten auf diese E-Mail gehen nirgendwohin.)"
                : "(A test: this is how CareLoop writes to a customer after a 1★ review. Replies to this email go nowhere.)"
            m = MessageFormat.mail(
                note + "\n\n" + text, id: mail.messageID(for: job.id.uuidString), store: store.name,
                look: try await StoreBrand.load(storeID: job.storeID, on: db), to: (to, name),
                subject: Template.render(CareLanguage.localizedLine(DefaultTriggers.lowRatingSubject, to: language), values: values),
                earlier: [], page: links.publicURL + "/app", replyTo: mail.fromAddress, from: mail.fromAddress, date: storage.now(),
                automatic: true, language: language)
        }
        m.subject = "[Test] " + m.subject
        m.automatic = true
        return m
    }

    /// What a mail being sent is, for its return path, the automatic-mail limit and its bounces.
    struct Sending {
        let job: OutboxQueue.Claimed
        /// `care`, `request` or `notification`.
        let kind: String
        /// Held back from an address that bounced (automatic mail to customers; a person's reply is
        /// not). The hourly limit was counted when it was queued.
        let limited: Bool
        /// When the caller gives up on the delivery.
        let deadline: Date
    }

    /// Sends one mail from its own return path (`bounce+TOKEN@`), signed when a DKIM key is set. A
    /// relay that refuses the recipient outright (5xx) is a bounce like a delivery report.
    static func send(
        _ m: OutgoingMail, to: [String], as sending: Sending, mail: MailSettings, links: CareLinks, storage: CareStorage,
        on db: any Database
    ) async throws {
        guard let relay = mail.relay else { throw Failure.transient("no SMTP server configured (CARELOOP_SMTP_URL)") }
        let storeID = sending.job.storeID
        let recipient = m.to.lowercased()
        // Counted against the hourly limit when it was queued; an address that bounced since then is spared.
        if sending.limited, try await MailBounces.isSuppressed(storeID: storeID, email: recipient, on: db.sql) {
            throw Failure.permanent("\(recipient) bounced earlier: automatic mail is not sent to it (Settings → Email clears it)")
        }
        // A store that sends from its own domain: its address, signed with its key (staff mail keeps the installation's).
        var m = m
        var signer = mail.dkim
        if sending.kind != "notification", let own = try await StoreSender.active(storeID: storeID, on: db.sql) {
            m.fromAddress = own.fromAddress
            signer = own.signer
        }
        let returnPath = mail.bounceAddress(token: links.bounceToken(delivery: sending.job.id))
        do {
            _ = try await relay.send(
                from: returnPath, to: to, message: MailComposer.compose(m, signer: signer),
                notAfter: min(
                    Date().addingTimeInterval(15), sending.deadline.addingTimeInterval(-Double(relay.settings.messageTimeout.nanoseconds) / 1e9 - 1)))
        } catch let e as SMTPError {
            if e.recipientRefused, !e.isTransient {
                try await storage.write(on: db) { sql in
                    // Not tied to the delivery (the once-a-report rule is for reports): a refusal on a
                    // later attempt, after staff cleared the address, counts again.
                    try await MailBounces.record(
                        storeID: storeID, email: recipient, deliveryID: nil, mailKind: sending.kind, permanent: true,
                        status: e.enhancedStatus ?? "5.0.0", diagnostic: "smtp; \(e.description)", now: storage.now(), on: sql)
                }
            }
            throw e.isTransient ? Failure.transient(e.description) : Failure.permanent(e.description)
        }
    }
}

/// How a conversation message reads in an email.
public enum MessageFormat {
    /// Inbound replies are cut at this line, so quoted history never lands in the conversation.
    public static let replyMarker = "## Please reply above this line ##"

    /// A conversation message as its email: threaded on the conversation's earlier mails, with the
    /// customer's page linked and the reply address that brings an answer back.
    static func mail(
        _ body: String, id: String, store: String, look: StoreBrand.Look, to: (email: String, name: String?), subject: String, earlier: [String],
        page: String, replyTo: String, from: String, date: Date, automatic: Bool, language: RequestLanguage = .en
    ) -> OutgoingMail {
        var m = OutgoingMail(
            fromName: store, fromAddress: from, to: to.email, toName: to.name, replyTo: replyTo,
            subject: earlier.isEmpty ? subject : "Re: \(subject)",
            text: text(body, link: page, language: language), html: html(body, link: page, store: store, look: look, language: language),
            messageID: id, inReplyTo: earlier.last,
            references: earlier, date: date)
        m.automatic = automatic
        return m
    }

    // The reply marker stays English in every language: inbound mail is cut at it.
    static func text(_ body: String, link: String, language: RequestLanguage = .en) -> String {
        let footer = language == .de ? "Antworten Sie auf diese E-Mail oder auf Ihrer Seite" : "Reply to this email, or answer on your page"
        return "\(replyMarker)\n\n\(body)\n\n--\n\(footer): \(link)\n"
    }

    /// The message, then a button to the customer's page in the store's colour (`look`).
    static func html(_ body: String, link: String, store: String, look: StoreBrand.Look = StoreBrand.Look(), language: RequestLanguage = .en)
        -> String
    {
        let (button, orReply) =
            language == .de
            ? ("Ihr Gespräch öffnen", "Oder antworten Sie einfach auf diese E-Mail.") : ("Open your conversation", "Or simply reply to this email.")
        let paragraphs = body.components(separatedBy: "\n\n").map { "<p>" + escape($0).replacingOccurrences(of: "\n", with: "<br>") + "</p>" }
        // Colours come from `StoreBrand.colour`, which admits only #rrggbb.
        return """
            <!doctype html><html><body style="font-family:sans-serif;line-height:1.5;color:#1a1a1a">
            <p style="color:#888;font-size:12px">\(escape(replyMarker))</p>
            \(paragraphs.joined(separator: "\n"))
            <p style="margin:2em 0 1em"><a href="\(escape(link))" style="display:inline-block;padding:12px 22px;border-radius:8px;\
            background:\(look.accent);color:\(look.onAccent);font-weight:bold;text-decoration:none">\(button)</a></p>
            <p style="font-size:13px;color:#555">\(orReply) — \(escape(store))</p>
            </body></html>
            """
    }

    /// HTML-escaped text, in one pass.
    static func escape(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(u)
            }
        }
        return String(out)
    }
}

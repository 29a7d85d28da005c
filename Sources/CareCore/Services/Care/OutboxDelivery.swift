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

    public static func deliver(
        _ job: OutboxQueue.Claimed, mail: MailSettings, links: CareLinks, allowPrivateWebhooks: Bool = false,
        storage: CareStorage, on db: any Database
    ) async throws {
        guard let payload = job.payload else { throw Failure.permanent("unreadable outbox payload: \(job.rawPayload.prefix(200))") }
        switch payload {
        case .conversationMessage(let messageID, let automatic):
            try await sendConversationMessage(messageID, automatic: automatic, job: job, mail: mail, links: links, storage: storage, on: db)
        case .staffNotification(let to, let subject, let body):
            var m = OutgoingMail(
                fromName: "CareLoop", fromAddress: mail.fromAddress, to: to[0], toName: nil, replyTo: nil,
                subject: subject, text: body, html: nil, messageID: mail.messageID(for: job.id.uuidString),
                inReplyTo: nil, references: [], date: storage.now())
            m.automatic = true
            try await send(m, to: to, as: Sending(job: job, kind: "notification", limited: false), mail: mail, links: links, storage: storage, on: db)
        case .reviewRequest(let requestID, let step):
            try await RequestMail.send(requestID: requestID, step: step, job: job, mail: mail, links: links, storage: storage, on: db)
        case .webhook(let endpointID, _, let body):
            try await WebhookDelivery.post(
                jobID: job.id, endpointID: endpointID, body: body, now: storage.now(), allowPrivate: allowPrivateWebhooks, on: db)
        }
    }

    static func sendConversationMessage(
        _ id: UUID, automatic: Bool, job: OutboxQueue.Claimed, mail: MailSettings, links: CareLinks, storage: CareStorage, on db: any Database
    ) async throws {
        guard let message = try await ConversationMessage.find(id, on: db),
            let conversation = try await Conversation.find(message.conversationID, on: db),
            let customer = try await Customer.find(conversation.customerID, on: db),
            let store = try await Store.find(conversation.storeID, on: db)
        else { throw Failure.permanent("the message or its conversation no longer exists") }
        guard !customer.email.hasSuffix("@erased.invalid") else { throw Failure.permanent("the customer was erased") }
        // Thread on every earlier mail of the conversation, in order.
        let earlier = try await ConversationMessage.query(on: db).filter(\.$conversationID == conversation.id!)
            .filter(\.$createdAt < message.createdAt).filter(\.$emailMessageID != nil).sort(\.$createdAt).all()
            .compactMap(\.emailMessageID)
        let messageID = mail.messageID(for: id.uuidString)
        let m = MessageFormat.mail(
            message.body, id: messageID, store: store.name, look: try await StoreBrand.load(storeID: store.requireID(), on: db),
            to: (customer.email, customer.name), subject: conversation.subject, earlier: earlier,
            page: links.conversationPage(token: conversation.token, issuedAt: message.createdAt),
            replyTo: mail.replyAddress(token: conversation.token), from: mail.fromAddress, date: message.createdAt, automatic: automatic)
        try await send(
            m, to: [customer.email], as: Sending(job: job, kind: "care", limited: automatic), mail: mail, links: links, storage: storage, on: db)
        try await storage.write(on: db) { sql in
            try await sql.raw("UPDATE conversation_messages SET email_message_id = \(bind: messageID) WHERE id = \(bind: id)").run()
        }
    }

    /// What a mail being sent is, for its return path, the automatic-mail limit and its bounces.
    struct Sending {
        let job: OutboxQueue.Claimed
        /// `care`, `request` or `notification`.
        let kind: String
        /// Held back from an address that bounced (automatic mail to customers; a person's reply is
        /// not). The hourly limit was counted when it was queued.
        let limited: Bool
    }

    /// Sends one mail from its own return path (`bounce+TOKEN@`), signed when a DKIM key is set. A
    /// relay that refuses the recipient outright (5xx) is a bounce like a delivery report.
    static func send(
        _ m: OutgoingMail, to: [String], as sending: Sending, mail: MailSettings, links: CareLinks, storage: CareStorage,
        on db: any Database
    ) async throws {
        guard let smtp = mail.smtp else { throw Failure.transient("no SMTP server configured (CARELOOP_SMTP_URL)") }
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
            _ = try await SMTPClient.send(from: returnPath, to: to, message: MailComposer.compose(m, signer: signer), settings: smtp)
        } catch let e as SMTPError {
            if e.recipientRefused, !e.isTransient {
                try await storage.write(on: db) { sql in
                    try await MailBounces.record(
                        storeID: storeID, email: recipient, deliveryID: sending.job.id, mailKind: sending.kind, permanent: true,
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
        page: String, replyTo: String, from: String, date: Date, automatic: Bool
    ) -> OutgoingMail {
        var m = OutgoingMail(
            fromName: store, fromAddress: from, to: to.email, toName: to.name, replyTo: replyTo,
            subject: earlier.isEmpty ? subject : "Re: \(subject)",
            text: text(body, link: page), html: html(body, link: page, store: store, look: look), messageID: id, inReplyTo: earlier.last,
            references: earlier, date: date)
        m.automatic = automatic
        return m
    }

    static func text(_ body: String, link: String) -> String {
        "\(replyMarker)\n\n\(body)\n\n--\nReply to this email, or answer on your page: \(link)\n"
    }

    /// The message, then a button to the customer's page in the store's colour (`look`).
    static func html(_ body: String, link: String, store: String, look: StoreBrand.Look = StoreBrand.Look()) -> String {
        let paragraphs = body.components(separatedBy: "\n\n").map { "<p>" + escape($0).replacingOccurrences(of: "\n", with: "<br>") + "</p>" }
        // Colours come from `StoreBrand.colour`, which admits only #rrggbb.
        return """
            <!doctype html><html><body style="font-family:sans-serif;line-height:1.5;color:#1a1a1a">
            <p style="color:#888;font-size:12px">\(escape(replyMarker))</p>
            \(paragraphs.joined(separator: "\n"))
            <p style="margin:2em 0 1em"><a href="\(escape(link))" style="display:inline-block;padding:12px 22px;border-radius:8px;\
            background:\(look.accent);color:\(look.onAccent);font-weight:bold;text-decoration:none">Open your conversation</a></p>
            <p style="font-size:13px;color:#555">Or simply reply to this email. — \(escape(store))</p>
            </body></html>
            """
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}

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
        case .conversationMessage(let messageID):
            try await sendConversationMessage(messageID, mail: mail, links: links, storage: storage, on: db)
        case .staffNotification(let to, let subject, let body):
            let m = OutgoingMail(
                fromName: "CareLoop", fromAddress: mail.fromAddress, to: to[0], toName: nil, replyTo: nil,
                subject: subject, text: body, html: nil, messageID: mail.messageID(for: job.id.uuidString),
                inReplyTo: nil, references: [], date: storage.now())
            try await send(m, to: to, mail: mail)
        case .reviewRequest(let requestID, let step):
            try await RequestMail.send(requestID: requestID, step: step, jobID: job.id, mail: mail, links: links, storage: storage, on: db)
        case .webhook(let endpointID, _, let body):
            try await WebhookDelivery.post(
                jobID: job.id, endpointID: endpointID, body: body, now: storage.now(), allowPrivate: allowPrivateWebhooks, on: db)
        }
    }

    static func sendConversationMessage(_ id: UUID, mail: MailSettings, links: CareLinks, storage: CareStorage, on db: any Database) async throws {
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
        let link = links.conversationPage(token: conversation.token, issuedAt: message.createdAt)
        let subject = earlier.isEmpty ? conversation.subject : "Re: \(conversation.subject)"
        let m = OutgoingMail(
            fromName: store.name, fromAddress: mail.fromAddress, to: customer.email, toName: customer.name,
            replyTo: mail.replyAddress(token: conversation.token), subject: subject,
            text: MessageFormat.text(message.body, link: link),
            html: MessageFormat.html(
                message.body, link: link, store: store.name, look: try await StoreBrand.load(storeID: store.requireID(), on: db)),
            messageID: messageID, inReplyTo: earlier.last, references: earlier, date: message.createdAt)
        try await send(m, to: [customer.email], mail: mail)
        try await storage.write(on: db) { sql in
            try await sql.raw("UPDATE conversation_messages SET email_message_id = \(bind: messageID) WHERE id = \(bind: id)").run()
        }
    }

    static func send(_ m: OutgoingMail, to: [String], mail: MailSettings) async throws {
        guard let smtp = mail.smtp else { throw Failure.transient("no SMTP server configured (CARELOOP_SMTP_URL)") }
        do {
            _ = try await SMTPClient.send(from: mail.fromAddress, to: to, message: MailComposer.compose(m), settings: smtp)
        } catch let e as SMTPError {
            throw e.isTransient ? Failure.transient(e.description) : Failure.permanent(e.description)
        }
    }
}

/// How a conversation message reads in an email.
public enum MessageFormat {
    /// Inbound replies are cut at this line, so quoted history never lands in the conversation.
    public static let replyMarker = "## Please reply above this line ##"

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

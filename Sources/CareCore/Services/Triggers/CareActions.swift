import FluentKit
import Foundation
import SQLKit

/// Carries out a trigger's actions on its subject, in the caller's transaction. Returns the subject
/// as the actions left it, and the events they raised (a conversation opened, say).
///
/// Actions change rows in memory; the rows are written once, at the end (a new conversation is
/// inserted with its final priority, SLA and tags rather than inserted and then updated).
enum CareActions {
    private struct Writes {
        var newConversation: Conversation?
        var conversationChanged = false
        var messages: [ConversationMessage] = []
        var outbox: [OutboxPayload] = []
        /// Messages to the customer: emailed unless the address bounced or had its automatic mails this hour.
        var customerMail: [OutboxPayload] = []
    }

    static func run(
        _ actions: [TriggerAction], of triggerName: String, on start: CareSubject, links: CareLinks, now: Date,
        sql: any SQLDatabase
    ) async throws -> (CareSubject, [TriggerEvent]) {
        var s = start
        var raised: [TriggerEvent] = []
        var w = Writes()
        let storeID = try s.store.requireID()
        // A trigger fired by another's action in the same moment writes after what that one wrote,
        // so the thread reads in the order things happened on every database.
        let latest = [s.conversation?.lastStaffAt, s.conversation?.lastCustomerAt].compactMap { $0 }.max()
        let written = latest.map { max(now, $0.addingTimeInterval(0.001)) } ?? now
        // What the customer reads is in their language (asked once, only when a message goes out).
        var spoken: RequestLanguage?
        func language() async throws -> RequestLanguage {
            if let spoken { return spoken }
            let l = try await CareLanguage.of(customerID: try s.customer.requireID(), storeID: storeID, on: sql)
            spoken = l
            return l
        }

        func staffMessage(_ template: String, in c: Conversation, language: RequestLanguage) {
            let text = Template.render(
                CareLanguage.localized(template, to: language), values: values(s, links, now: now),
                firstNameFallback: CareLanguage.firstNameFallback(language))
            let (m, email) = ConversationThread.stageStaffMessage(
                text, staffID: nil,
                in: c, now: now, sentAt: written.addingTimeInterval(Double(w.messages.count) / 1000),
                countsAsResponse: false)
            w.messages.append(m)
            w.customerMail.append(email)
            w.conversationChanged = true
        }

        for action in actions {
            switch action {
            case .openConversation(let template, let subject):
                // One open thread per subject: a second trigger asking adds to it rather than starting another.
                let spoken = try await language()
                if s.conversation == nil {
                    let line = CareLanguage.localizedLine(subject ?? "About your review [de] Zu Ihrer Bewertung", to: spoken)
                    let c = try ConversationThread.make(for: s, subject: Template.render(line, values: values(s, links, now: now)), now: now)
                    s.conversation = c
                    w.newConversation = c
                    raised.append(.conversationOpened)
                }
                staffMessage(template, in: s.conversation!, language: spoken)
            case .sendMessage(let template):
                guard let c = s.conversation else { continue }
                staffMessage(template, in: c, language: try await language())
            case .addNote(let template):
                guard let c = s.conversation else { continue }
                w.messages.append(
                    ConversationThread.makeMessage(
                        .note, body: Template.render(template, values: values(s, links, now: now)), staffID: nil,
                        to: c, now: written.addingTimeInterval(Double(w.messages.count) / 1000)))
            case .assign(let to):
                guard let c = s.conversation else { continue }
                c.assigneeID = try await Staff.pick(to, storeID: storeID, on: sql)
                w.conversationChanged = true
            case .setPriority(let p):
                guard let c = s.conversation else { continue }
                c.priority = p
                w.conversationChanged = true
            case .addTag(let tag):
                guard let c = s.conversation, !c.tags.contains(tag) else { continue }
                c.tags = c.tags + [tag]
                w.conversationChanged = true
            case .setSLA(let minutes):
                guard let c = s.conversation else { continue }
                SLAClock.start(c, minutes: minutes, targets: try await ReplyTargets.load(storeID: storeID, on: sql), now: now)
                w.conversationChanged = true
            case .notifyStaff(let template, let to):
                let recipients: [String]
                if let to { recipients = [to] } else { recipients = try await Staff.emails(storeID: storeID, on: sql) }
                guard !recipients.isEmpty else { continue }
                let body = Template.render(template, values: values(s, links, now: now))
                w.outbox.append(.staffNotification(to: recipients, subject: "[\(s.store.name)] \(body.prefix(60))", body: body))
            case .sendWebhook:
                try await Webhooks.enqueue(.triggerFired, data: triggerFired(name: triggerName, s), storeID: storeID, now: now, on: sql)
            case .resolve(let note):
                guard let c = s.conversation, c.status != .resolved else { continue }
                try await ConversationThread.markResolved(c, note: note, customer: s.customer, now: now, on: sql)
                w.conversationChanged = true
                raised.append(.conversationResolved)
            }
        }

        if let c = w.newConversation {
            try await ConversationThread.insert(c, customer: s.customer, now: now, on: sql)
            try await StaffNotifications.conversationOpened(c, subject: s, links: links, now: now, on: sql)
        } else if w.conversationChanged, let c = s.conversation {
            c.updatedAt = now
            try await ConversationThread.update(c, on: sql)
        }
        for m in w.messages { try await ConversationThread.insert(m, now: now, on: sql) }
        for payload in w.outbox { try await Outbox.enqueue(payload, storeID: storeID, now: now, on: sql) }
        for payload in w.customerMail {
            if let held = try await Outbox.enqueueAutomatic(
                payload, to: s.customer.email, storeID: storeID, now: now, conversationID: s.conversation?.id, on: sql),
                let c = s.conversation
            {
                // The message stays in the conversation (and on the customer's page); staff see why no mail went.
                try await ConversationThread.addMessage(.system, body: held, staffID: nil, to: c, now: now.addingTimeInterval(0.01), on: sql)
            }
        }
        return (s, raised)
    }

    /// The `trigger.fired` webhook: which trigger, and what it fired for.
    static func triggerFired(name: String, _ s: CareSubject) -> JSONNode {
        var o: [String: JSONNode] = ["trigger": .string(name), "customer": WebhookData.customer(s.customer)]
        if let r = s.review { o["review"] = WebhookData.review(r, product: s.product, customer: nil) }
        if let c = s.conversation { o["conversation"] = WebhookData.conversation(c, customer: nil) }
        return .object(o)
    }

    /// What template placeholders read as for this subject.
    static func values(_ s: CareSubject, _ links: CareLinks, now: Date) -> [String: String] {
        var v: [String: String] = ["customer.email": s.customer.email, "store.name": s.store.name]
        // A name that reads as a link never reaches a mail (names come from outside).
        if let name = s.customer.name, !Text.carriesLink(name) {
            v["customer.name"] = name
            v["customer.first_name"] = name.split(separator: " ").first.map(String.init)
        }
        if let p = s.product {
            v["product.name"] = p.name
            v["product.url"] = p.url
        }
        if let r = s.review {
            v["review.title"] = r.title
            v["review.body"] = r.body
            v["review.rating"] = String(r.rating)
        }
        if let c = s.conversation { v["conversation.link"] = links.conversationPage(token: c.token, issuedAt: now) }
        return v
    }
}

/// The store's team, as triggers need it.
enum Staff {
    /// An agent by email, or the one with the fewest unresolved conversations ("round_robin").
    static func pick(_ to: String, storeID: UUID, on sql: any SQLDatabase) async throws -> UUID? {
        if to == "round_robin" {
            return try await sql.raw(
                """
                SELECT s.id AS id, COUNT(c.id) AS n FROM staff_users s
                LEFT JOIN conversations c ON c.assignee_id = s.id AND c.status <> \(bind: ConversationStatus.resolved.rawValue)
                WHERE s.store_id = \(bind: storeID) GROUP BY s.id, s.created_at ORDER BY n, s.created_at LIMIT 1
                """
            ).first()?.decode(column: "id", as: UUID.self)
        }
        return try await sql.raw("SELECT id FROM staff_users WHERE store_id = \(bind: storeID) AND email = \(bind: to)")
            .first()?.decode(column: "id", as: UUID.self)
    }

    static func emails(storeID: UUID, on sql: any SQLDatabase) async throws -> [String] {
        try await sql.raw("SELECT email FROM staff_users WHERE store_id = \(bind: storeID) ORDER BY created_at").all()
            .map { try $0.decode(column: "email", as: String.self) }
    }
}

import FluentKit
import Foundation
import SQLKit

/// The request email and its reminders: each product of the order with five star links, and the
/// unsubscribe headers of RFC 8058. A star link only opens the form (mail scanners click every link
/// on delivery): nothing is recorded until the customer sends it.
public enum RequestMail {
    static let maxProductsInMail = 10

    /// A request with everything its email and form show.
    public struct Content: Sendable {
        public let store: Store
        public let customer: Customer
        public let order: Order
        public let products: [Product]
        public let request: ReviewRequest
        public let settings: RequestSettings
        /// The store's colour and whether it has a logo (`/s/{slug}/logo`), for the mail's look.
        public var look = StoreBrand.Look()
    }

    public static func load(requestID: UUID, on db: any Database) async throws -> Content? {
        let sql = db.sql
        guard let r = try await ReviewRequests.find(requestID, on: db),
            let store = try await sql.rows(Store.table, { $0.where("id", .equal, r.storeID) }).first,
            let customer = try await sql.rows(Customer.table, { $0.where("id", .equal, r.customerID) }).first,
            let order = try await sql.all(Order.self, { $0.where("id", .equal, r.orderID) }).first
        else { return nil }
        let items = try await sql.all(OrderItem.self) { $0.where("order_id", .equal, r.orderID) }
        let ids = Array(Set(items.map(\.productID)))
        let products = ids.isEmpty ? [] : try await sql.rows(Product.table) { $0.where("id", .in, SQLBind.group(ids)).orderBy("name") }
        var settings = try await RequestSettings.load(storeID: r.storeID, on: sql)
        // The buyer's own language when the shop said it and CareLoop speaks it; the store's otherwise.
        if let tag = order.locale, let spoken = RequestLanguage(rawValue: String(tag.prefix { $0.isLetter }).lowercased()) {
            settings.language = spoken
        }
        var content = Content(store: store, customer: customer, order: order, products: products, request: r, settings: settings)
        content.look = try await StoreBrand.load(storeID: r.storeID, on: db)
        return content
    }

    static func send(
        requestID: UUID, step: Int, job: OutboxQueue.Claimed, deadline: Date, mail: MailSettings, links: CareLinks, storage: CareStorage,
        on db: any Database
    ) async throws {
        guard let c = try await load(requestID: requestID, on: db) else {
            throw OutboxDelivery.Failure.permanent("the review request or its order no longer exists")
        }
        guard c.customer.erasedAt == nil else { throw OutboxDelivery.Failure.permanent("the customer was erased") }
        // Unsubscribed between queueing and sending: honoured, nothing goes out.
        if try await ReviewRequests.isUnsubscribed(storeID: c.store.requireID(), customerID: c.customer.requireID(), on: db.sql) {
            throw OutboxDelivery.Failure.permanent("the customer unsubscribed from review requests")
        }
        var m = compose(
            c, step: step, messageID: messageID(requestID: requestID, step: step, mail: mail), fromAddress: mail.fromAddress, mailDomain: mail.domain,
            links: links,
            date: storage.now())
        m.automatic = true
        try await OutboxDelivery.send(
            m, to: [c.customer.email], as: .init(job: job, kind: "request", limited: true, deadline: deadline), mail: mail, links: links,
            storage: storage, on: db)
    }

    /// A request email's Message-ID names its request, so a reply (whose In-Reply-To carries it)
    /// finds its way to that order. The id is random: only the email's recipient knows it.
    static func messageID(requestID: UUID, step: Int, mail: MailSettings) -> String {
        mail.messageID(for: "\(requestPrefix)\(requestID.uuidString).\(step)")
    }

    static let requestPrefix = "request."

    /// The request a reply answers, from the Message-IDs it references.
    static func requestID(referencedBy ids: [String], mailDomain: String) -> UUID? {
        for id in ids {
            let lower = id.lowercased()
            let prefix = "careloop.\(requestPrefix)"
            guard lower.hasPrefix(prefix), lower.hasSuffix("@\(mailDomain.lowercased())") else { continue }
            let rest = lower.dropFirst(prefix.count)
            guard let uuid = UUID(uuidString: String(rest.prefix(36))) else { continue }
            return uuid
        }
        return nil
    }

    /// The request email for a made-up order of one product, as the store's buyers would get it.
    /// The request id of every sample mail: its signed links open a page saying it was a test.
    public static let sampleRequestID = UUID(uuidString: "00000000-0000-0000-0000-0000000c0de0")!

    public static func preview(
        store: Store, settings: RequestSettings, links: CareLinks, mailDomain: String, step: Int = 0, fromAddress: String = "",
        customer: (email: String, name: String) = ("buyer@example.com", "Alex Morgan"), look: StoreBrand.Look = StoreBrand.Look()
    ) -> OutgoingMail {
        let customer = Customer(storeID: store.id ?? UUID(), email: customer.email, name: customer.name, createdAt: Date())
        let order = Order(
            storeID: store.id ?? UUID(), externalID: "1001", customerID: UUID(), placedAt: nil, fulfilledAt: nil, totalCents: nil, currency: nil,
            createdAt: Date())
        let product = Product()
        product.name = settings.language == .de ? "Beispielprodukt" : "Example product"
        product.externalID = "example"
        let request = ReviewRequest()
        request.id = sampleRequestID
        request.createdAt = Date()
        var content = Content(store: store, customer: customer, order: order, products: [product], request: request, settings: settings)
        content.look = look
        return compose(
            content, step: step, messageID: "preview.\(step).\(UUID().uuidString.lowercased())@\(mailDomain)", fromAddress: fromAddress,
            mailDomain: mailDomain, links: links, date: Date())
    }

    static func compose(
        _ c: Content, step: Int, messageID: String, fromAddress: String, mailDomain: String, links: CareLinks, date: Date
    ) -> OutgoingMail {
        let t = RequestTexts.of(c.settings.language)
        let token = links.requestToken(c.request.id!, createdAt: c.request.createdAt)
        // Greeted by the first name, as a person writes ("Hi Ben," not "Hi Ben Nguyen,").
        let first = c.customer.name.flatMap { $0.split(separator: " ").first.map(String.init) }.flatMap { Text.carriesLink($0) ? nil : $0 }
        let values = [
            "store": c.store.name, "order": c.order.externalID, "name": first ?? "",
            "product": c.products.first?.name ?? (c.settings.language == .de ? "Ihre Bestellung" : "your order"),
        ]
        let greeting = first.map { RequestTexts.fill(t.greeting, ["name": $0]) } ?? t.greetingNoName
        let accent = c.look.accent
        let unsubscribeURL = links.requestUnsubscribe(token: token)

        let own = c.settings.texts[c.settings.language]
        let intro = RequestTexts.fill(own?.intro ?? t.intro, values)
        var text = "\(greeting)\n\n\(intro)\n\(t.starsHint)\n"
        // The store's logo (served at /s/{slug}/logo) and colour: the mail looks like the shop's.
        let logo =
            c.look.hasLogo
            ? "<p><img src=\"\(MessageFormat.escape(links.publicURL))/s/\(MessageFormat.escape(CareLinks.component(c.store.slug)))/logo\" alt=\"\(MessageFormat.escape(c.store.name))\" style=\"max-height:48px;max-width:200px\"></p>"
            : ""
        var html = """
            <!doctype html><html><body style="font-family:sans-serif;line-height:1.5;color:#1a1a1a">
            <div style="border-top:4px solid \(accent);padding-top:.5em">\(logo)
            <p>\(MessageFormat.escape(greeting))</p><p>\(MessageFormat.escape(intro))</p>
            <p style="color:#555">\(MessageFormat.escape(t.starsHint))</p>
            """
        // Ten products' stars at most in an email (an order may have 500): the form lists them all.
        for p in c.products.prefix(maxProductsInMail) {
            text += "\n\(p.name)\n"
            // The product's picture when the shop gave one (http or https only).
            let image =
                p.imageURL.flatMap { u in (u.hasPrefix("https://") || u.hasPrefix("http://")) && u.utf8.count <= 1_000 ? u : nil }.map {
                    "<img src=\"\(MessageFormat.escape($0))\" alt=\"\" width=\"64\" height=\"64\" style=\"vertical-align:middle;margin-right:.5em;border-radius:6px;object-fit:cover\">"
                } ?? ""
            html +=
                "<p style=\"margin:1.25em 0 .25em;font-weight:600\">\(image)\(MessageFormat.escape(p.name))</p><p style=\"font-size:28px;margin:0\">"
            for n in 1...5 {
                let url = links.requestForm(token: token, product: p.externalID, stars: n)
                let label = RequestTexts.fill(t.starLabel, ["n": String(n)])
                text += "  \(String(repeating: "★", count: n))\(String(repeating: "☆", count: 5 - n)) \(label): \(url)\n"
                html +=
                    "<a href=\"\(MessageFormat.escape(url))\" title=\"\(MessageFormat.escape(label))\" aria-label=\"\(MessageFormat.escape(label))\" style=\"color:#b36b00;text-decoration:none\">★</a>"
            }
            html += "</p>"
        }
        let form = links.requestForm(token: token)
        if c.products.count > maxProductsInMail {
            let more = "+ \(c.products.count - maxProductsInMail)"
            text += "\n\(more): \(form)\n"
            html += "<p><a href=\"\(MessageFormat.escape(form))\">\(MessageFormat.escape(more))</a></p>"
        }
        let help = form + "/help"
        text += "\n\(t.formLink): \(form)\n\n\(t.helpLink): \(help)\n\n--\n\(t.unsubscribe): \(unsubscribeURL)\n"
        html += """
            <p style="margin-top:1.5em"><a href="\(MessageFormat.escape(form))" style="display:inline-block;padding:10px 20px;border-radius:8px;background:\(accent);color:\(c.look.onAccent);font-weight:bold;text-decoration:none">\(MessageFormat.escape(t.formLink))</a></p>
            <p><a href="\(MessageFormat.escape(help))">\(MessageFormat.escape(t.helpLink))</a></p>
            <p style="margin-top:2em;font-size:12px;color:#666"><a href="\(MessageFormat.escape(unsubscribeURL))" style="color:#666">\(MessageFormat.escape(t.unsubscribe))</a></p>
            </div></body></html>
            """
        var m = OutgoingMail(
            fromName: c.store.name, fromAddress: fromAddress, to: c.customer.email, toName: c.customer.name, replyTo: nil,
            subject: RequestTexts.fill(step == 0 ? own?.subject ?? t.subject : t.reminderSubject, values), text: text, html: html,
            messageID: messageID, inReplyTo: nil, references: [], date: date)
        // RFC 2369 and RFC 8058: the mail program's own unsubscribe button, honoured with one POST.
        m.extraHeaders = [
            ("List-Unsubscribe", "<\(unsubscribeURL)>, <mailto:unsubscribe@\(mailDomain)?subject=unsubscribe%20\(token)>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
        return m
    }

    /// The mailto half of `List-Unsubscribe`: a mail to `unsubscribe@DOMAIN` (one address for the
    /// whole installation, so it may arrive through any store's mail pipe), or any mail whose subject
    /// is `unsubscribe TOKEN`. The signed request token alone decides whose requests stop, in its own
    /// store; an old token still works (unsubscribing never expires). A mail to the unsubscribe
    /// address never opens a conversation, whatever it carries: its subject holds a live link. A
    /// mail elsewhere whose subject merely starts with "Unsubscribe" and holds no token is an ordinary
    /// mail (nil: read on as a reply), never dropped.
    static func unsubscribeByMail(
        _ message: MIMEMessage, links: CareLinks, storage: CareStorage, on db: any Database
    ) async throws -> InboundMail.Outcome? {
        // Any `unsubscribe@` that reached CareLoop: a mail system may rewrite the domain on the way in.
        let toUnsubscribe = message.recipientAddresses.contains { $0.lowercased().hasPrefix("unsubscribe@") }
        let subject = message.subject ?? ""
        let asksBySubject = subject.lowercased().hasPrefix("unsubscribe ")
        guard toUnsubscribe || asksBySubject else { return nil }
        for word in subject.prefix(1_000).split(separator: " ").prefix(8) {
            switch links.openRequest(String(word), now: storage.now()) {
            case .open(let id), .expired(let id):
                guard try await ReviewRequests.find(id, on: db) != nil else { continue }
                try await ReviewRequests.unsubscribe(requestID: id, via: "mailto", storage: storage, on: db)
                return .skipped(reason: "unsubscribed from review requests")
            case .invalid: continue
            }
        }
        return toUnsubscribe ? .skipped(reason: "an unsubscribe mail without a valid request link: nothing done") : nil
    }
}

import CareCore
import Vapor

/// The store's hosted help page (`/s/{slug}/help`, linked from the widget as "Need help with your
/// order? Talk to us") and the link that confirms a message's address (`/help/{token}`). Opening
/// the link changes nothing (mail scanners open every link); only its button sends the message.
enum HelpPageController {
    struct FormPage: Encodable {
        let store: String
        let slug: String
        let sent: Bool
        let error: String?
        let email: String?
        let name: String?
        let order: String?
        let message: String?
    }

    struct Form: Content {
        let email: String?
        let name: String?
        let order: String?
        let message: String?
    }

    static func form(_ req: Request) async throws -> Response {
        let store = try await store(req)
        return try await page(
            req, "help-form",
            FormPage(store: store.name, slug: store.slug, sent: false, error: nil, email: nil, name: nil, order: nil, message: nil))
    }

    static func send(_ req: Request) async throws -> Response {
        let store = try await store(req)
        let (allowed, retryAfter) = await req.care.publicReviewLimiter.take(req.clientAddress)
        guard allowed else { throw RateLimitedError(retryAfter: retryAfter) }
        try FormParts.check(req)
        let f = (try? req.content.decode(Form.self)) ?? Form(email: nil, name: nil, order: nil, message: nil)
        do {
            try await HelpRequests.submit(
                .init(email: f.email, name: f.name, order: f.order, message: f.message), store: store, links: req.care.links,
                storage: req.care.storage, on: req.db)
        } catch let error as CareError where error.kind == .invalid {
            // The form again, with what was typed and what to fix: nothing is lost.
            let response = try await page(
                req, "help-form",
                FormPage(
                    store: store.name, slug: store.slug, sent: false, error: error.message, email: f.email, name: f.name, order: f.order,
                    message: f.message))
            response.status = .unprocessableEntity
            return response
        }
        return try await page(
            req, "help-form", FormPage(store: store.name, slug: store.slug, sent: true, error: nil, email: nil, name: nil, order: nil, message: nil))
    }

    struct ConfirmPage: Encodable {
        let store: String
        let token: String
        let messages: [Item]
        let several: Bool
    }

    struct Item: Encodable {
        let id: String
        let name: String?
        let order: String?
        let text: String
        let written: String
    }

    static func confirmPage(_ req: Request) async throws -> Response {
        let token = try req.parameters.require("token")
        let pending = try await HelpRequests.check(token: token, links: req.care.links, now: req.care.storage.now(), on: req.db)
        if pending.conversationID != nil && pending.messages.isEmpty { return try await confirm(req) }
        let items = pending.messages.map {
            Item(
                id: $0.id.uuidString, name: $0.name, order: $0.order, text: $0.text,
                written: ISODate.format($0.writtenAt).prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC")
        }
        guard !items.isEmpty else { throw CareError.linkExpired(message: "this message has expired; send it again") }
        return try await page(req, "help-confirm", ConfirmPage(store: pending.storeName, token: token, messages: items, several: items.count > 1))
    }

    struct Choice: Content { let request: String? }

    /// The button: opens the conversation and takes the customer to its page.
    static func confirm(_ req: Request) async throws -> Response {
        let token = try req.parameters.require("token")
        if req.method == .GET {
            // Already sent: the link leads to the conversation. A GET opens nothing new.
            let pending = try await HelpRequests.check(token: token, links: req.care.links, now: req.care.storage.now(), on: req.db)
            guard let id = pending.conversationID, let c = try await HelpRequests.conversation(id: id, on: req.db) else {
                throw CareError.notFound("message")
            }
            return redirect(req, to: c)
        }
        try FormParts.check(req)
        let chosen = (try? req.content.decode(Choice.self))?.request.flatMap(UUID.init(uuidString:))
        let c = try await HelpRequests.confirm(token: token, chosen: chosen, links: req.care.links, storage: req.care.storage, on: req.db)
        return redirect(req, to: c)
    }

    private static func redirect(_ req: Request, to c: Conversation) -> Response {
        let links = req.care.links
        let pageToken = links.pageToken(c.token, expires: req.care.storage.now().addingTimeInterval(links.pageLinkLifetime))
        return req.redirect(to: "/c/\(pageToken)", redirectType: .normal)
    }

    private static func store(_ req: Request) async throws -> Store {
        let slug = try req.parameters.require("slug")
        guard let store = try await StoreService.store(slug: slug, on: req.db) else { throw CareError.notFound("store") }
        return store
    }

    private static func page(_ req: Request, _ template: String, _ context: some Encodable) async throws -> Response {
        let response = try await req.view.render(template, context).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

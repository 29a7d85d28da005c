import CareCore
import Fluent
import Vapor

/// The pages a review request's links open. `/r/TOKEN` is the hosted form for each product of the
/// order: a star link in the email only preselects the stars (mail scanners click every link on
/// delivery), and only the form's POST writes a review, verified by the order. `/u/TOKEN` stops the
/// store's review requests to this customer: a button on the page, or the one POST a mail program
/// sends (RFC 8058). The signed token is the only credential: it names one request and nothing else.
enum ReviewRequestPageController {
    struct ProductContext: Encodable {
        let externalID: String
        let name: String
        let reviewed: Bool
        let chosen: Int
        let stars: [Int]
    }

    struct FormContext: Encodable {
        let lang: String
        let token: String
        let storeName: String
        let storeSlug: String
        let heading: String
        let intro: String
        let note: String
        let products: [ProductContext]
        let t: [String: String]
        let thanks: Bool
        let unsubscribeURL: String
    }

    struct UnsubscribeContext: Encodable {
        let lang: String
        let token: String
        let title: String
        let button: String
        let done: String?
    }

    /// The request a token opens, and what its pages show.
    struct Opened {
        let token: String
        let content: RequestMail.Content
    }

    static func open(_ req: Request, allowExpired: Bool) async throws -> Opened {
        guard let token = req.parameters.get("token"), token.utf8.count <= 200 else { throw CareError.notFound("request") }
        let id: UUID
        switch req.care.links.openRequest(token, now: req.care.storage.now()) {
        case .invalid: throw CareError.notFound("request")
        case .open(let found): id = found
        case .expired(let found):
            guard allowExpired else {
                throw CareError.linkExpired(message: "This review link has expired. Thank you for shopping with us.")
            }
            id = found
        }
        // A sample request (Settings' preview, the first hour's test mail): its links land here, never on a 404.
        guard id != RequestMail.sampleRequestID else {
            throw CareError.sampleRequest(
                message: "This was a test review request: your buyers' links open the review form for their order here. Nothing was recorded.")
        }
        guard let content = try await RequestMail.load(requestID: id, on: req.db) else { throw CareError.notFound("request") }
        guard content.customer.erasedAt == nil else {
            throw CareError.linkExpired(message: "This link no longer works.")
        }
        return Opened(token: token, content: content)
    }

    static func form(_ req: Request) async throws -> Response {
        let opened = try await open(req, allowExpired: false)
        let c = opened.content
        try await ReviewRequests.noteFormOpened(c.request, storage: req.care.storage, on: req.db)
        let reviewed = try await reviewedProducts(c, on: req.db)
        let chosenProduct = req.queryText("product")
        let chosenStars = req.queryText("stars").flatMap { Int($0) }.flatMap { (1...5).contains($0) ? $0 : nil } ?? 0
        let t = RequestTexts.of(c.settings.language)
        let context = FormContext(
            lang: c.settings.language.rawValue, token: opened.token, storeName: c.store.name, storeSlug: c.store.slug,
            heading: RequestTexts.fill(t.formTitle, ["store": c.store.name]), intro: t.formIntro, note: t.alwaysPublished,
            products: c.products.map { p in
                ProductContext(
                    externalID: p.externalID, name: p.name, reviewed: reviewed.contains(p.id!),
                    chosen: p.externalID == chosenProduct ? chosenStars : 0, stars: [5, 4, 3, 2, 1])
            },
            t: [
                "rating": t.rating, "title": t.title, "body": t.body, "send": t.send, "reviewed": t.alreadyReviewed,
                "thanks": t.thanks, "unsubscribe": t.unsubscribe, "help": t.helpLink,
                "policy": c.settings.language == .de ? "Wie wir Bewertungen sammeln" : "How we collect reviews",
            ],
            thanks: req.queryText("done") == "1", unsubscribeURL: "/u/\(opened.token)")
        return try await page(req, "request-form", context)
    }

    struct ReviewForm: Content {
        let product: String?
        let rating: String?
        let title: String?
        let body: String?
    }

    static func submit(_ req: Request) async throws -> Response {
        let opened = try await open(req, allowExpired: false)
        let c = opened.content
        try FormParts.check(req)
        guard let form = try? req.content.decode(ReviewForm.self) else { throw CareError.missing("rating") }
        guard let external = form.product, let product = c.products.first(where: { $0.externalID == external }) else {
            throw CareError.invalid("product", "is not a product of this order")
        }
        guard let raw = form.rating, let stars = Int(raw), (1...5).contains(stars) else {
            throw CareError.invalid("rating", "choose from 1 to 5 stars")
        }
        if try await reviewedProducts(c, on: req.db).contains(product.id!) { throw alreadyReviewed(c) }
        let submission = ReviewSubmission(
            product: ProductRef(externalID: product.externalID), customer: CustomerRef(email: c.customer.email, name: c.customer.name),
            rating: stars, title: blankIsNil(form.title), body: blankIsNil(form.body), orderExternalID: c.order.externalID,
            source: .request, mustBeKnownProduct: true)
        do {
            _ = try await ReviewIngest.submit(
                submission, store: c.store, links: req.care.links, storage: req.care.storage, on: req.db)
        } catch {
            // Two quick submits: the unique index lets one through; the other is told, not failed.
            if try await reviewedProducts(c, on: req.db).contains(product.id!) { throw alreadyReviewed(c) }
            throw error
        }
        try await ReviewRequests.noteReviewed(c.request, storage: req.care.storage, on: req.db)
        return req.redirect(to: "/r/\(opened.token)?done=1", redirectType: .normal)
    }

    struct HelpContext: Encodable {
        let lang: String
        let token: String
        let title: String
        let intro: String
        let send: String
    }

    /// "Talk to us": a page to write to a person about the order, no account needed.
    static func helpPage(_ req: Request) async throws -> Response {
        let opened = try await open(req, allowExpired: false)
        let c = opened.content
        let t = RequestTexts.of(c.settings.language)
        return try await page(
            req, "request-help",
            HelpContext(
                lang: c.settings.language.rawValue, token: opened.token, title: RequestTexts.fill(t.helpTitle, ["store": c.store.name]),
                intro: t.helpIntro, send: t.helpSend))
    }

    struct HelpForm: Content { let body: String? }

    /// Opens the conversation and takes the customer to its page (the same page every care email links).
    static func askForHelp(_ req: Request) async throws -> Response {
        let opened = try await open(req, allowExpired: false)
        try FormParts.check(req)
        guard let body = (try? req.content.decode(HelpForm.self))?.body else { throw CareError.missing("body") }
        let conversation = try await ReviewRequests.askForHelp(
            requestID: opened.content.request.id!, body: body, links: req.care.links, storage: req.care.storage, on: req.db)
        let links = req.care.links
        let pageToken = links.pageToken(conversation.token, expires: req.care.storage.now().addingTimeInterval(links.pageLinkLifetime))
        return req.redirect(to: "/c/\(pageToken)", redirectType: .normal)
    }

    static func unsubscribePage(_ req: Request) async throws -> Response {
        let opened = try await open(req, allowExpired: true)
        let t = RequestTexts.of(opened.content.settings.language)
        return try await page(
            req, "request-unsubscribe",
            UnsubscribeContext(
                lang: opened.content.settings.language.rawValue, token: opened.token, title: t.unsubscribeTitle,
                button: t.unsubscribeButton, done: nil))
    }

    /// The page's button and a mail program's one-click POST (`List-Unsubscribe=One-Click`) alike.
    static func unsubscribe(_ req: Request) async throws -> Response {
        let opened = try await open(req, allowExpired: true)
        let c = opened.content
        let body = req.body.string ?? ""
        let via = body.contains("List-Unsubscribe=One-Click") ? "one_click" : "link"
        try await ReviewRequests.unsubscribe(requestID: c.request.id!, via: via, storage: req.care.storage, on: req.db)
        let t = RequestTexts.of(c.settings.language)
        return try await page(
            req, "request-unsubscribe",
            UnsubscribeContext(
                lang: c.settings.language.rawValue, token: opened.token, title: t.unsubscribeTitle, button: t.unsubscribeButton,
                done: RequestTexts.fill(t.unsubscribed, ["store": c.store.name])))
    }

    static func reviewedProducts(_ c: RequestMail.Content, on db: any Database) async throws -> Set<UUID> {
        try await ReviewRequests.reviewedProducts(orderID: c.order.id!, on: db)
    }

    static func alreadyReviewed(_ c: RequestMail.Content) -> CareError {
        CareError.alreadyReviewed(message: RequestTexts.of(c.settings.language).alreadyReviewed)
    }

    static func blankIsNil(_ s: String?) -> String? {
        guard let s, !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return s
    }

    static func page(_ req: Request, _ name: String, _ context: some Encodable) async throws -> Response {
        let response = try await req.view.render(name, context).encodeResponse(for: req)
        // The page address is a credential: keep it out of other sites' logs and out of caches.
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

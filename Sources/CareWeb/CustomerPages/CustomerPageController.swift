import CareCore
import Fluent
import Vapor

/// The customer's page for one conversation, reached by the signed link in every email: the thread,
/// a reply form and, when the conversation is about their review, a form to update that review if
/// they wish. No login: the signed, expiring token opens this conversation and nothing else.
enum CustomerPageController {
    struct MessageContext: Encodable {
        let author: String
        let who: String
        /// ISO 8601, turned into the reader's local time by the page's script.
        let at: String
        let when: String
        let body: String
        let photos: [PhotoContext]
        let hasPhotos: Bool
    }

    struct PhotoContext: Encodable {
        let href: String
        let width: Int
        let height: Int
    }

    struct ReviewContext: Encodable {
        let productName: String
        let rating: Int
        let title: String
        let body: String
        let stars: [Int]
    }

    struct PageContext: Encodable {
        let subject: String
        let storeName: String
        let pageToken: String
        /// "We're on it", "We've replied" or "Resolved", and a line saying what that means.
        let state: String
        let stateClass: String
        let stateText: String
        let accent: String
        let onAccent: String
        let logo: String?
        let messages: [MessageContext]
        let review: ReviewContext?
        let reviewUpdated: Bool
        let maxPhotos: Int
        let maxPhotoMB: Int
        let t: CustomerPageText
    }

    struct ExpiredContext: Encodable {
        let title: String
        let message: String
    }

    static func show(_ req: Request) async throws -> Response {
        let page = try await load(req)
        let conversationID = try page.conversation.requireID()
        let now = req.care.storage.now()
        let messages = try await CustomerPageQueries.messages(conversationID: conversationID, now: now, on: req.db)
        let spoken = try await CustomerPageQueries.language(
            customerID: page.conversation.customerID, storeID: page.conversation.storeID,
            acceptLanguage: req.headers.first(name: .acceptLanguage), on: req.db)
        let photos = Dictionary(
            grouping: try await MessagePhotos.list(conversationID: conversationID, storeID: page.conversation.storeID, on: req.db),
            by: \.messageID)
        var review: ReviewContext?
        if let r = page.review {
            review = ReviewContext(
                productName: try await CustomerPageQueries.productName(id: r.productID, storeID: page.conversation.storeID, on: req.db) ?? "—",
                rating: r.rating, title: r.title ?? "",
                body: r.body ?? "",
                stars: [5, 4, 3, 2, 1])
        }
        let brand = try await StoreBrand.load(storeID: page.conversation.storeID, on: req.db)
        let store = page.store.name
        let (state, stateText) = CustomerPageText.state(page.conversation.status, store: store, language: spoken)
        let stateClass = page.conversation.status.rawValue
        let t = CustomerPageText.of(spoken, store: store, maxPhotos: MessagePhotos.maxPerMessage, maxMB: MessagePhotos.maxBytes / 1_048_576)
        // Leaf escapes every #( ) value: what the customer or staff wrote is shown as text, never markup.
        let view = try await req.view.render(
            "customer-conversation",
            PageContext(
                subject: page.conversation.subject, storeName: store, pageToken: page.pageToken,
                state: state, stateClass: stateClass, stateText: stateText, accent: brand.accent, onAccent: brand.onAccent,
                logo: brand.hasLogo ? "/c/\(page.pageToken)/logo" : nil,
                messages: messages.map { m in
                    let shown = (m.id.flatMap { photos[$0] } ?? []).map {
                        PhotoContext(href: "/c/\(page.pageToken)/photos/\($0.id)", width: $0.width, height: $0.height)
                    }
                    return MessageContext(
                        author: m.author.rawValue, who: m.author == .customer ? t.you : store, at: JSONBody.formatDate(m.createdAt),
                        when: JSONBody.formatDate(m.createdAt).prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC",
                        body: m.body, photos: shown, hasPhotos: !shown.isEmpty)
                },
                review: review, reviewUpdated: req.queryText("updated") == "1",
                maxPhotos: MessagePhotos.maxPerMessage, maxPhotoMB: MessagePhotos.maxBytes / 1_048_576, t: t))
        let response = try await view.encodeResponse(for: req)
        // The page address is a credential: keep it out of other sites' logs.
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// A reply's body at most: the text and three photos of `MessagePhotos.maxBytes`, with room for the form.
    static let maxReplyBytes = 25 * 1_024 * 1_024

    struct ReplyForm: Content {
        let body: String?
        let photos: [File]?
    }

    /// The customer's reply, with up to `MessagePhotos.maxPerMessage` photos (multipart form) or
    /// without (a plain form, as before).
    static func reply(_ req: Request) async throws -> Response {
        // The link first: a stranger's body is never read.
        let page = try await load(req)
        let declared = req.headers.first(name: .contentLength).flatMap { Int($0) }
        if let declared, declared > maxReplyBytes { throw Abort(.payloadTooLarge, reason: "a reply with its photos may be at most 25 MB") }
        // A text-only reply is small; a larger body takes one of the node's upload slots while it is read and stored.
        var ticket: UploadSlots.Ticket?
        if declared.map({ $0 > 65_536 }) ?? true {
            guard let t = req.care.uploads.take(store: page.conversation.storeID, conversation: try page.conversation.requireID()) else {
                throw CareError.busy(message: "Too many photos are being sent right now. Please try again in a minute.")
            }
            ticket = t
        }
        // The slots themselves, not `req.care`: this may finish after the application has stopped.
        let uploads = req.care.uploads
        defer { if let ticket { uploads.release(ticket) } }
        // Within the route's upload time (a phone on a slow line; see `RequestDeadline.uploadSeconds`):
        // a body that trickles in past it would otherwise hold the slot for ever.
        let raw = try await BodyReader.collect(req, max: maxReplyBytes, seconds: 110)
        try FormParts.check(req, body: raw)
        guard let type = req.headers.contentType,
            let form = try? ContentConfiguration.global.requireDecoder(for: type).decode(ReplyForm.self, from: raw, headers: req.headers),
            let body = form.body
        else { throw CareError.missing("body") }
        let photos = try MessagePhotos.prepare((form.photos ?? []).map { Array($0.data.readableBytesView) })
        _ = try await ConversationService.customerReply(
            conversationID: page.conversation.id!, storeID: page.conversation.storeID, body: body, photos: photos,
            links: req.care.links, storage: req.care.storage, on: req.db)
        return req.redirect(to: "/c/\(page.pageToken)", redirectType: .normal)
    }

    /// One photo of this conversation, for the customer who holds its link.
    static func photo(_ req: Request) async throws -> Response {
        let page = try await load(req)
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let (type, bytes) = try await MessagePhotos.bytes(
                id: id, conversationID: page.conversation.id, storeID: page.conversation.storeID, on: req.db)
        else { throw CareError.notFound("photo") }
        return PhotoResponse.make(type: type, bytes: bytes)
    }

    /// The store's logo on its customers' pages.
    static func logo(_ req: Request) async throws -> Response {
        let page = try await load(req)
        guard let (type, bytes) = try await StoreBrand.logo(storeID: page.conversation.storeID, on: req.db) else {
            throw CareError.notFound("logo")
        }
        return PhotoResponse.make(type: type, bytes: bytes)
    }

    struct ReviewForm: Content {
        let rating: String?
        let title: String?
        let body: String?
    }

    /// The customer's own update of the review this conversation is about.
    static func updateReview(_ req: Request) async throws -> Response {
        let page = try await load(req)
        guard let reviewID = page.conversation.reviewID else { throw CareError.notFound("review") }
        try FormParts.check(req)
        guard let form = try? req.content.decode(ReviewForm.self) else { throw CareError.missing("rating") }
        guard let raw = form.rating, let stars = Int(raw) else { throw CareError.invalid("rating", "choose from 1 to 5 stars") }
        _ = try await ReviewUpdates.byCustomer(
            reviewID: reviewID, storeID: page.conversation.storeID, rating: stars, title: form.title,
            body: form.body, links: req.care.links, storage: req.care.storage, on: req.db)
        return req.redirect(to: "/c/\(page.pageToken)?updated=1#review", redirectType: .normal)
    }

    struct Page {
        let pageToken: String
        let conversation: Conversation
        let store: Store
        let review: Review?
    }

    private static func load(_ req: Request) async throws -> Page {
        guard let pageToken = req.parameters.get("token"), pageToken.count <= 200 else { throw CareError.notFound("conversation") }
        switch req.care.links.openPage(pageToken, now: req.care.storage.now()) {
        case .invalid:
            throw CareError.notFound("conversation")
        case .expired:
            throw CareError.linkExpired(
                message: "This link has expired. Reply to any email from the shop and a person will answer; the next email carries a fresh link.")
        case .open(let token):
            // A merged conversation's page shows, and writes to, the one it was merged into.
            guard let o = try await CustomerPageQueries.opened(token: token, on: req.db) else { throw CareError.notFound("conversation") }
            return Page(pageToken: pageToken, conversation: o.conversation, store: o.store, review: o.review)
        }
    }
}

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
        let when: String
        let body: String
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
        let messages: [MessageContext]
        let review: ReviewContext?
        let reviewUpdated: Bool
    }

    struct ExpiredContext: Encodable {
        let title: String
        let message: String
    }

    static func show(_ req: Request) async throws -> Response {
        let page = try await load(req)
        let messages = try await ConversationMessage.query(on: req.db).filter(\.$conversationID == page.conversation.id!)
            .filter(\.$author ~~ [MessageAuthor.staff, .customer]).sort(\.$createdAt).all()
        var review: ReviewContext?
        if let r = page.review {
            let product = try await Product.find(r.productID, on: req.db)
            review = ReviewContext(
                productName: product?.name ?? "your purchase", rating: r.rating, title: r.title ?? "", body: r.body ?? "",
                stars: [5, 4, 3, 2, 1])
        }
        // Leaf escapes every #( ) value: what the customer or staff wrote is shown as text, never markup.
        let view = try await req.view.render(
            "customer-conversation",
            PageContext(
                subject: page.conversation.subject, storeName: page.store.name, pageToken: page.pageToken,
                messages: messages.map {
                    MessageContext(
                        author: $0.author.rawValue, who: $0.author == .customer ? "You" : page.store.name,
                        when: JSONBody.formatDate($0.createdAt).prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC",
                        body: $0.body)
                },
                review: review, reviewUpdated: req.query[String.self, at: "updated"] == "1"))
        let response = try await view.encodeResponse(for: req)
        // The page address is a credential: keep it out of other sites' logs.
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct ReplyForm: Content {
        let body: String
    }

    static func reply(_ req: Request) async throws -> Response {
        let page = try await load(req)
        guard let form = try? req.content.decode(ReplyForm.self) else { throw CareError.missing("body") }
        _ = try await ConversationService.customerReply(
            conversationID: page.conversation.id!, storeID: page.conversation.storeID, body: form.body,
            links: req.care.links, storage: req.care.storage, on: req.db)
        return req.redirect(to: "/c/\(page.pageToken)", redirectType: .normal)
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
            throw CareError(
                .gone, code: "link_expired",
                message: "This link has expired. Reply to any email from the shop and a person will answer; the next email carries a fresh link.")
        case .open(let token):
            guard let conversation = try await Conversation.query(on: req.db).filter(\.$token == token).first(),
                let store = try await Store.find(conversation.storeID, on: req.db)
            else { throw CareError.notFound("conversation") }
            var review: Review?
            if let id = conversation.reviewID { review = try await Review.find(id, on: req.db) }
            return Page(pageToken: pageToken, conversation: conversation, store: store, review: review?.status == .rejected ? nil : review)
        }
    }
}

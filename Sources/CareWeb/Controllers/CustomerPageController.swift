import CareCore
import Fluent
import Vapor

/// The customer's page for one conversation, reached by the link in every email: the thread and a
/// reply form, no login. The token in the address opens this conversation and nothing else.
enum CustomerPageController {
    struct MessageContext: Encodable {
        let author: String
        let who: String
        let when: String
        let body: String
    }

    struct PageContext: Encodable {
        let subject: String
        let storeName: String
        let token: String
        let messages: [MessageContext]
    }

    static func show(_ req: Request) async throws -> View {
        let (conversation, store) = try await load(req)
        let messages = try await ConversationMessage.query(on: req.db).filter(\.$conversationID == conversation.id!)
            .filter(\.$author ~~ [MessageAuthor.staff, .customer]).sort(\.$createdAt).all()
        // Leaf escapes every #( ) value: what the customer or staff wrote is shown as text, never markup.
        return try await req.view.render("customer-conversation", PageContext(
            subject: conversation.subject, storeName: store.name, token: conversation.token,
            messages: messages.map {
                MessageContext(author: $0.author.rawValue, who: $0.author == .customer ? "You" : store.name,
                               when: JSONBody.formatDate($0.createdAt).prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC",
                               body: $0.body)
            }))
    }

    struct ReplyForm: Content {
        let body: String
    }

    static func reply(_ req: Request) async throws -> Response {
        let (conversation, _) = try await load(req)
        guard let form = try? req.content.decode(ReplyForm.self) else { throw CareError.missing("body") }
        _ = try await ConversationService.customerReply(conversationID: conversation.id!, storeID: conversation.storeID, body: form.body,
                                                        links: req.care.links, storage: req.care.storage, on: req.db)
        req.care.outboxSignal.poke()
        return req.redirect(to: "/c/\(conversation.token)", redirectType: .normal)
    }

    private static func load(_ req: Request) async throws -> (Conversation, Store) {
        guard let token = req.parameters.get("token"), token.count <= 100,
              let conversation = try await Conversation.query(on: req.db).filter(\.$token == token).first(),
              let store = try await Store.find(conversation.storeID, on: req.db)
        else { throw CareError.notFound("conversation") }
        return (conversation, store)
    }
}

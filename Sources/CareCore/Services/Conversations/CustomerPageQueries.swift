import FluentKit
import Foundation

/// What the customer's page reads: the conversation its link opens, the messages the customer may
/// see, the language the page speaks, and the product a review was about.
public enum CustomerPageQueries {
    public struct Opened: Sendable {
        public let conversation: Conversation
        public let store: Store
        /// The conversation's review, unless it was rejected (then the page does not show it).
        public let review: Review?
    }

    /// The conversation a page's token opens: the one it was merged into when it was merged.
    public static func opened(token: String, on db: any Database) async throws -> Opened? {
        guard let found = try await Conversation.query(on: db).filter(\.$token == token).first() else { return nil }
        let conversation = try await ConversationMerge.kept(found, on: db.sql)
        guard let store = try await Store.find(conversation.storeID, on: db) else { return nil }
        var review: Review?
        if let id = conversation.reviewID { review = try await Review.find(id, on: db) }
        return Opened(conversation: conversation, store: store, review: review?.status == .rejected ? nil : review)
    }

    /// Staff's and the customer's messages, oldest first. A reply or resolution still in its undo
    /// window is not the customer's to read yet.
    public static func messages(conversationID: UUID, now: Date, on db: any Database) async throws -> [ConversationMessage] {
        try await ConversationMessage.query(on: db).filter(\.$conversationID == conversationID)
            .filter(\.$author ~~ [MessageAuthor.staff, .customer]).sort(\.$createdAt).all()
            .filter { m in m.heldUntil.map { $0 <= now } ?? true }
    }

    /// The buyer's order says; else the reader's browser; else the store's language.
    public static func language(customerID: UUID, storeID: UUID, acceptLanguage: String?, on db: any Database) async throws
        -> RequestLanguage
    {
        let sql = db.sql
        if let spoken = try await CareLanguage.spokenFromOrders(customerID: customerID, storeID: storeID, on: sql) { return spoken }
        if let browser = CareLanguage.preferred(acceptLanguage: acceptLanguage) { return browser }
        return try await RequestSettings.load(storeID: storeID, on: sql).language
    }

    /// The name of one of the store's products.
    public static func productName(id: UUID, storeID: UUID, on db: any Database) async throws -> String? {
        try await Product.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).first()?.name
    }
}

import FluentKit
import Foundation

/// What the dashboard's conversation page reads besides the thread itself.
public enum ConversationPageQueries {
    /// The conversation's review, if it is one of this store's.
    /// The store's conversation with its customer and its messages, as the conversation page shows them.
    public static func conversation(id: UUID, storeID: UUID, on db: any Database) async throws -> (
        conversation: Conversation, customer: Customer, messages: [ConversationMessage]
    ) {
        guard let c = try await Conversation.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).first(),
            let customer = try await Customer.find(c.customerID, on: db)
        else { throw CareError.notFound("conversation") }
        return (c, customer, try await ConversationService.thread(id, on: db))
    }

    public static func review(id: UUID?, storeID: UUID, on db: any Database) async throws -> Review? {
        guard let id else { return nil }
        return try await Review.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).first()
    }

    /// Whether the conversation is one of this store's.
    public static func exists(id: UUID, storeID: UUID, on db: any Database) async throws -> Bool {
        try await Conversation.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).count() == 1
    }

    /// The customer's latest orders (with their items and the products named), and their other open
    /// conversations: the facts beside the reply box.
    public struct Context: Sendable {
        public let orders: [Order]
        public let items: [OrderItem]
        public let products: [UUID: Product]
        public let others: [Conversation]
    }

    public static func context(
        conversation c: Conversation, review: Review?, storeID: UUID, orders ordersShown: Int, others othersShown: Int,
        on db: any Database
    ) async throws -> Context {
        let orders = try await Order.query(on: db).filter(\.$storeID == storeID).filter(\.$customerID == c.customerID)
            .sort(\.$createdAt, .descending).limit(ordersShown).all()
        let orderIDs = orders.compactMap(\.id)
        let items =
            orderIDs.isEmpty ? [] : try await OrderItem.query(on: db).filter(\.$storeID == storeID).filter(\.$orderID ~~ orderIDs).limit(60).all()
        let productIDs = Set(items.map(\.productID) + (review.map { [$0.productID] } ?? []))
        let products =
            productIDs.isEmpty
            ? [:]
            : Dictionary(
                try await Product.query(on: db).filter(\.$storeID == storeID).filter(\.$id ~~ Array(productIDs)).all().map { ($0.id!, $0) },
                uniquingKeysWith: { a, _ in a })
        let others = try await Conversation.query(on: db).filter(\.$storeID == storeID).filter(\.$customerID == c.customerID)
            .filter(\.$id != c.id!).filter(\.$status != .resolved).sort(\.$updatedAt, .descending).limit(othersShown).all()
        return Context(orders: orders, items: items, products: products, others: others)
    }
}

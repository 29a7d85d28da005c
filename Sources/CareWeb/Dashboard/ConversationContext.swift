import CareCore
import Fluent
import Vapor

/// What an agent needs beside the reply box: the customer's latest orders with what was in them, the
/// review with its product, and the customer's other open conversations. Each list is short and bounded.
struct ConversationContext: Encodable {
    struct OrderCard: Encodable {
        let number: String
        let total: String
        let when: String
        let items: [String]
        /// The order the review is about (same product), marked so the agent sees it first.
        let reviewed: Bool
        /// "cancelled 2026-11-20", "refunded 2026-11-21", "partly refunded 10.00 EUR": said before anything else.
        let state: String?
        /// Where it came from when a shop connection brought it ("from Shopify").
        let source: String?
    }

    struct Other: Encodable {
        let id: String
        let href: String
        let subject: String
        let status: String
    }

    let orders: [OrderCard]
    let hasOrders: Bool
    let others: [Other]
    let hasOthers: Bool
    let product: String?
    let productHref: String?
    let productPage: String?
    let reviewWhen: String?
    let verified: Bool

    static let ordersShown = 3
    static let othersShown = 5

    static func make(
        conversation c: Conversation, review: Review?, storeID: UUID, zone: TimeZone, on db: any Database
    ) async throws -> ConversationContext {
        let facts = try await ConversationPageQueries.context(
            conversation: c, review: review, storeID: storeID, orders: ordersShown, others: othersShown, on: db)
        let (orders, items, products, others) = (facts.orders, facts.items, facts.products, facts.others)
        let product = review.flatMap { products[$0.productID] }
        return ConversationContext(
            orders: orders.map { o in
                let mine = items.filter { $0.orderID == o.id }
                return OrderCard(
                    number: o.externalID,
                    total: o.totalCents.map { Money.format(cents: $0) + (o.currency.map { " \($0)" } ?? "") } ?? "—",
                    when: (o.fulfilledAt.map { "fulfilled " + Shown.day($0) }) ?? (o.placedAt.map { "placed " + Shown.day($0) }) ?? "",
                    items: mine.map { i in
                        let name = i.name ?? products[i.productID]?.name ?? "a product"
                        let price = i.unitPriceCents.map { " at " + Money.format(cents: $0) + (o.currency.map { " \($0)" } ?? "") } ?? ""
                        return "\(i.quantity) × \(name)\(price)"
                    },
                    reviewed: review.map { r in mine.contains { $0.productID == r.productID } } ?? false,
                    state: o.cancelledAt.map { "cancelled " + Shown.day($0) } ?? o.refundedAt.map { "refunded " + Shown.day($0) }
                        ?? o.refundedCents.flatMap {
                            $0 > 0 ? "partly refunded " + Money.format(cents: $0) + (o.currency.map { " \($0)" } ?? "") : nil
                        },
                    source: ShopPlatform(rawValue: o.source).map { "from " + $0.displayName })
            },
            hasOrders: !orders.isEmpty,
            others: others.map {
                Other(id: $0.id!.uuidString, href: SitePath.conversation.href($0.id!), subject: $0.subject, status: $0.status.rawValue)
            },
            hasOthers: !others.isEmpty,
            product: product?.name,
            productHref: product.map {
                SitePath.reviews.href + "?product=" + ($0.externalID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            },
            productPage: product?.url.flatMap { $0.hasPrefix("https://") || $0.hasPrefix("http://") ? $0 : nil },
            reviewWhen: review.map { Shown.time($0.createdAt, in: zone) }, verified: review?.verified ?? false)
    }
}

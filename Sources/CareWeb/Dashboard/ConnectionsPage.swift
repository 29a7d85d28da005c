import CareCore
import Vapor

/// Settings → Connections (owners only): connect the shop with its domain and the signing secret
/// it shows, then the clicks to make in the shop's own admin, the delivery URL and the topics, and
/// afterwards what arrived: connected or not, the last event, counts per topic in the last 7 days,
/// the last refused delivery and why.
enum ConnectionsPage {
    struct Topic: Encodable {
        /// As the shop's admin names the event, and as its webhook topic.
        let label: String
        let topic: String
    }
    struct Count: Encodable {
        let topic: String
        let count: Int
    }
    struct Delivery: Encodable {
        let when: String
        let topic: String
        let outcome: String
        let note: String
    }
    struct Shown: Encodable {
        let id: String
        let platform: String
        let isShopify: Bool
        let shopDomain: String
        let url: String
        let status: String
        let statusText: String
        let paused: Bool
        let waiting: Bool
        let topics: [Topic]
        let lastEvent: String?
        let counts: [Count]
        let recent: [Delivery]
        let refusedCount: Int
        let malformedCount: Int
        let lastRefusal: String?
        let shopRedact: String?
    }
    struct Context: Encodable {
        let connections: [Shown]
        let notice: String?
        /// A refused form: what was wrong (in the form's words), and what was typed, kept.
        let error: String?
        let typedDomain: String
        let typedWoo: Bool
        let maxKB: Int
    }

    /// Shopify's admin names each topic by its event (Settings → Notifications → Webhooks → Event).
    static let shopifyLabels = [
        "orders/create": "Order creation", "orders/updated": "Order update", "orders/paid": "Order payment",
        "orders/fulfilled": "Order fulfillment", "orders/cancelled": "Order cancellation", "fulfillments/create": "Fulfillment creation",
        "refunds/create": "Refund create", "products/create": "Product creation", "products/update": "Product update",
    ]
    /// WooCommerce's webhook form names them so (WooCommerce → Settings → Advanced → Webhooks → Topic).
    static let wooLabels = [
        "order.created": "Order created", "order.updated": "Order updated", "product.created": "Product created",
        "product.updated": "Product updated",
    ]

    static func show(_ req: Request) async throws -> Response {
        try await render(req, notice: Notice.shown(req, among: Notice.onConnections), status: .ok)
    }

    static func render(
        _ req: Request, notice: String?, error: String? = nil, form: CreateForm? = nil, status: HTTPResponseStatus
    ) async throws -> Response {
        let ctx = try req.staff
        let now = req.care.storage.now()
        var shown: [Shown] = []
        for c in try await ShopConnections.list(storeID: ctx.storeID, on: req.db) {
            let activity = try await ShopConnections.activity(try c.requireID(), now: now, on: req.db)
            let state = ConnectionStatus.of(c)
            let topics =
                c.platform == .shopify
                ? ShopifyDelivery.topics.map { Topic(label: shopifyLabels[$0] ?? $0, topic: $0) }
                : WooCommerceDelivery.topics.map { Topic(label: wooLabels[$0] ?? $0, topic: $0) }
            shown.append(
                Shown(
                    id: c.id!.uuidString.lowercased(), platform: c.platform.displayName, isShopify: c.platform == .shopify,
                    shopDomain: c.shopDomain, url: ConnectionsController.webhookURL(c, req), status: state.rawValue,
                    statusText: state == .connected ? "Connected" : state == .paused ? "Paused" : "Waiting for the first delivery",
                    paused: c.paused, waiting: state == .waiting, topics: topics,
                    lastEvent: c.lastEventAt.map { "\(c.lastEventTopic ?? "") at \(CareWeb.Shown.time($0))" },
                    counts: activity.perTopic.map { Count(topic: $0.topic, count: $0.count) },
                    recent: activity.recent.map {
                        Delivery(when: CareWeb.Shown.time($0.receivedAt), topic: $0.topic, outcome: $0.outcome, note: $0.note ?? "")
                    },
                    refusedCount: c.refusedCount, malformedCount: c.malformedCount,
                    lastRefusal: c.lastRefusalAt.map { "\(CareWeb.Shown.time($0)): \(c.lastRefusalReason ?? "")" },
                    shopRedact: c.shopRedactAt.map(CareWeb.Shown.time)))
        }
        let context = Context(
            connections: shown, notice: notice, error: error, typedDomain: form?.shop_domain ?? "", typedWoo: form?.platform == "woocommerce",
            maxKB: ShopDeliveryController.maxBytes / 1024)
        return try await DashboardPage.render(req, "app-connections", title: "Connections", section: "settings", context, status: status)
    }

    struct CreateForm: Content {
        let platform: String?
        let shop_domain: String?
        let secret: String?
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(CreateForm.self)
        do {
            _ = try await ShopConnections.create(
                platform: form.platform ?? "", shopDomain: form.shop_domain ?? "", secret: form.secret ?? "", storeID: ctx.storeID,
                storage: req.care.storage, on: req.db)
        } catch let e as CareError where e.kind != .notFound {
            // Said beside the form in its own words; the domain typed is kept (the secret is not shown back).
            let message = e.message.replacingOccurrences(of: "shop_domain: ", with: "Shop domain: ")
                .replacingOccurrences(of: "secret: ", with: "Signing secret: ").replacingOccurrences(of: "platform: ", with: "Platform: ")
            return try await render(req, notice: nil, error: message, form: form, status: e.kind.status)
        }
        return DashboardPage.back(req, to: SitePath.connections.href(notice: .connectionCreated))
    }

    struct PauseForm: Content { let paused: String? }

    static func pause(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "connection")
        let paused = try req.content.decode(PauseForm.self).paused == "1"
        _ = try await ShopConnections.setPaused(paused, id: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.connections.href(notice: paused ? .connectionPaused : .connectionResumed))
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        try await ShopConnections.delete(try req.uuidParameter("id", what: "connection"), storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.connections.href(notice: .connectionDeleted))
    }
}

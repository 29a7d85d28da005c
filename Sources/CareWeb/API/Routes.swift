import Vapor

/// Every route CareLoop answers. The OpenAPI document must describe each `/api/v1` route here
/// (a test walks this table against the document).
func routes(_ app: Application) throws {
    app.get("healthz") { _ in HealthStatus(status: "ok") }
    app.get("openapi.json", use: OpenAPIController.document)
    app.get("metrics", use: CareMetrics.render)
    let page = app.grouped(CustomerPageSecurity(), PageErrorMiddleware(audience: .customer))
    page.get("c", ":token", use: CustomerPageController.show)
    // A reply may carry photos: up to three of 8 MB each, with the form around them. Streamed: the
    // link is checked before any of the body is read (see `CustomerPageController.reply`).
    page.on(.POST, "c", ":token", body: .stream, use: CustomerPageController.reply)
    page.get("c", ":token", "photos", ":id", use: CustomerPageController.photo)
    page.get("c", ":token", "logo", use: CustomerPageController.logo)
    page.post("c", ":token", "review", use: CustomerPageController.updateReview)
    page.get("confirm", ":token", use: ReviewConfirmationController.show)
    page.post("confirm", ":token", use: ReviewConfirmationController.confirm)
    page.get("s", ":slug", "review-policy", use: ReviewPolicyController.show)
    page.get("s", ":slug", "logo", use: StoreLogoController.show)
    page.get("r", ":token", use: ReviewRequestPageController.form)
    // 20 000 characters of text may take 80 000 bytes as UTF-8, more when form-encoded.
    page.on(.POST, "r", ":token", body: .collect(maxSize: "256kb"), use: ReviewRequestPageController.submit)
    page.get("r", ":token", "help", use: ReviewRequestPageController.helpPage)
    page.on(.POST, "r", ":token", "help", body: .collect(maxSize: "256kb"), use: ReviewRequestPageController.askForHelp)
    page.get("s", ":slug", "help", use: HelpPageController.form)
    page.on(.POST, "s", ":slug", "help", body: .collect(maxSize: "64kb"), use: HelpPageController.send)
    page.get("help", ":token", use: HelpPageController.confirmPage)
    page.post("help", ":token", use: HelpPageController.confirm)
    page.get("u", ":token", use: ReviewRequestPageController.unsubscribePage)
    page.post("u", ":token", use: ReviewRequestPageController.unsubscribe)

    try dashboardRoutes(app)

    let api = app.grouped("api", "v1")

    app.get("widget.js", use: WidgetAsset.serveScript)
    app.get("widget.css", use: WidgetAsset.serveStylesheet)
    app.get("embed", ":slug", ":external_id", use: EmbedController.fragment)
    app.get("feeds", ":slug", "google-product-reviews.xml", use: ProductReviewFeedController.feed)
    api.get("public", "stores", ":slug", "summaries", use: SummariesController.list)
    api.get("public", "stores", ":slug", "products", ":external_id", "jsonld", use: EmbedController.jsonld)
    let publicAPI = api.grouped("public", "stores", ":slug", "products", ":external_id", "reviews")
    publicAPI.get(use: PublicReviewsController.list)
    publicAPI.post(use: PublicReviewsController.create)

    // Raw emails may carry attachments (10 MiB): streamed, so the secret is checked before any of the
    // body is read (see `InboundEmailController.receive`).
    api.on(.POST, "inbound-email", body: .stream, use: InboundEmailController.receive)
    // The shop's webhooks: streamed, so an unknown or paused connection is refused before its body is read.
    app.on(.POST, "connect", "shopify", ":connection", body: .stream, use: ShopDeliveryController.shopify)
    app.on(.POST, "connect", "woocommerce", ":connection", body: .stream, use: ShopDeliveryController.woocommerce)

    let store = api.grouped(APIKeyAuth(), AuditTrail())
    store.get("settings", "inbound-email", use: InboundEmailController.settings)
    store.get("settings", "care", use: CareSettingsController.show)
    store.patch("settings", "care", use: CareSettingsController.update)
    store.get("reports", "recovery", use: CareSettingsController.recovery)
    store.post("reviews", use: ReviewsController.create)
    store.get("reviews", use: ReviewsController.list)
    store.get("reviews", ":id", use: ReviewsController.show)
    store.post("reviews", ":id", "reply", use: ReviewsController.reply)
    store.post("reviews", ":id", "publish", use: ReviewsController.publish)
    store.post("reviews", ":id", "reject", use: ReviewsController.reject)
    store.post("orders", use: OrdersController.create)
    store.get("orders", use: OrdersController.list)
    store.get("orders", ":external_id", use: OrdersController.show)

    store.resource("connections", ConnectionsController.self)
    store.resource("triggers", TriggersController.self)

    store.get("conversations", use: ConversationsController.list)
    store.get("conversations", ":id", use: ConversationsController.show)
    store.post("conversations", ":id", "messages", use: ConversationsController.postMessage)
    store.post("conversations", ":id", "resolve", use: ConversationsController.resolve)
    store.post("conversations", ":id", "assign", use: ConversationsController.assign)

    store.post("webhooks", use: WebhooksController.create)
    store.get("webhooks", use: WebhooksController.list)
    store.delete("webhooks", ":id", use: WebhooksController.delete)
    store.post("webhooks", ":id", "test", use: WebhooksController.test)

    store.get("customers", ":id", "export", use: CustomersController.export)
    store.delete("customers", ":id", use: CustomersController.erase)
    store.get("audit", use: CustomersController.audit)

    store.get("suppressions", use: SuppressionsController.list)
    store.delete("suppressions", ":email", use: SuppressionsController.clear)

    store.get("outbox", use: OutboxController.list)
    store.post("outbox", ":id", "retry", use: OutboxController.retry)
}

/// A store's collection that is listed, created, shown, changed and deleted by id, as connections
/// and triggers are.
protocol APIResource {
    static func list(_ req: Request) async throws -> Response
    static func create(_ req: Request) async throws -> Response
    static func show(_ req: Request) async throws -> Response
    static func update(_ req: Request) async throws -> Response
    static func delete(_ req: Request) async throws -> Response
}

extension RoutesBuilder {
    /// The five routes of an `APIResource`: `GET`/`POST` on the collection, `GET`/`PATCH`/`DELETE` on `:id`.
    func resource(_ name: PathComponent, _ resource: (some APIResource).Type) {
        get(name, use: resource.list)
        post(name, use: resource.create)
        get(name, ":id", use: resource.show)
        patch(name, ":id", use: resource.update)
        delete(name, ":id", use: resource.delete)
    }
}

struct HealthStatus: Content {
    let status: String
}

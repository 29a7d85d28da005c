import Foundation

/// WooCommerce's webhook bodies (the REST API v3 Order and Product resources), read into
/// `ShopEvent`s. WooCommerce has no fulfilment of its own: an order reaching `completed` is the
/// shop saying it is done; `cancelled` and `refunded` are statuses too.
public enum WooCommerceDelivery {
    /// The topics the connection page asks the owner to pick.
    public static let topics = ["order.created", "order.updated", "product.created", "product.updated"]

    /// Order meta keys a checkout opt-in (or a line of PHP) may set for the buyer's marketing consent,
    /// and for the order's language (WPML, Polylang): WooCommerce itself has neither.
    static let consentKeys: Set<String> = ["marketing_consent", "_marketing_consent"]
    static let languageKeys: Set<String> = ["wpml_language", "_wpml_language", "pll_language", "language", "_language"]

    public static func event(topic: String, body: Data) throws -> ShopEvent {
        try ShopValues.event { try read(topic: topic, body: body) }
    }

    static func read(topic: String, body: Data) throws -> ShopEvent {
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try ShopValues.decode(T.self, from: body, topic: topic) }
        switch topic {
        case "order.created", "order.updated", "order.restored":
            return try order(decode(Order.self))
        case "product.created", "product.updated", "product.restored":
            return .product(try product(decode(Product.self)))
        default:
            return .ignored("not a topic CareLoop uses")
        }
    }

    static func order(_ o: Order) throws -> ShopEvent {
        guard let email = o.billing?.email, !email.isEmpty else { return .ignored("an order without the buyer's email") }
        var items: [OrderSubmission.Item] = []
        for line in o.line_items ?? [] {
            // Product 0: a line whose product was deleted, or a fee; nothing to review.
            guard let productID = line.product_id?.text, productID != "0", line.quantity ?? 1 > 0 else { continue }
            var item = OrderSubmission.Item(
                product: ProductRef(externalID: productID, name: try ShopValues.text(line.name, field: "line_items.name", max: 300)),
                quantity: line.quantity ?? 1, unitPriceCents: line.price?.cents(currency: o.currency))
            item.name = try ShopValues.text(line.name, field: "line_items.name", max: 1_000)
            if let variation = line.variation_id?.text, variation != "0" { item.variantID = variation }
            item.sku = try ShopValues.text(line.sku, field: "line_items.sku", max: 255)
            items.append(item)
        }
        guard !items.isEmpty else { return .ignored("an order with no catalog product to review") }
        let meta = Dictionary((o.meta_data ?? []).compactMap { m in m.key.map { ($0, m.value?.text ?? "") } }, uniquingKeysWith: { a, _ in a })
        var s = OrderSubmission(
            externalID: o.id.text, customer: CustomerRef(email: email, name: ShopValues.fullName(o.billing?.first_name, o.billing?.last_name)),
            items: items,
            placedAt: try ShopValues.date(o.date_created_gmt, field: "date_created_gmt"),
            totalCents: o.total?.cents(currency: o.currency), currency: o.currency,
            locale: meta.first { languageKeys.contains($0.key) }.flatMap { ShopValues.language($0.value) })
        let modified = try ShopValues.date(o.date_modified_gmt, field: "date_modified_gmt")
        s.sourceUpdatedAt = modified
        s.fullState = true
        switch o.status {
        case "completed": s.fulfilledAt = try ShopValues.date(o.date_completed_gmt, field: "date_completed_gmt") ?? modified
        case "cancelled": s.cancelledAt = modified ?? Date()
        case "refunded": s.refundedAt = modified ?? Date()
        default: break
        }
        // A sum past what an order can hold is not recorded (as Shopify's).
        if let refunded = ShopValues.total((o.refunds ?? []).compactMap { $0.total?.cents(currency: o.currency, refund: true) }), refunded > 0 {
            s.refundedCents = refunded
        }
        if let consent = meta.first(where: { consentKeys.contains($0.key) })?.value.lowercased() {
            s.marketingConsent =
                ["yes", "true", "1", "on"].contains(consent) ? true : ["no", "false", "0", "off", ""].contains(consent) ? false : nil
        }
        s.country = ShopValues.country(o.billing?.country) ?? ShopValues.country(o.shipping?.country)
        return .order(s)
    }

    static func product(_ p: Product) throws -> ProductRef {
        var ref = ProductRef(externalID: p.id.text, name: try ShopValues.text(p.name, field: "name", max: 300))
        if let link = try ShopValues.text(p.permalink, field: "permalink", max: 2_000), link.hasPrefix("https://") || link.hasPrefix("http://") {
            ref.url = link
        }
        ref.imageURL = try ShopValues.text(p.images?.first?.src, field: "images.src", max: 2_000)
        ref.sku = try ShopValues.text(p.sku, field: "sku", max: 255)
        ref.gtin = try ShopValues.text(p.global_unique_id, field: "global_unique_id", max: 255)
        ref.brand = try ShopValues.text(p.brands?.first?.name, field: "brands.name", max: 255)
        return ref
    }

    struct Order: Decodable {
        let id: ShopValues.ID
        let status: String?
        let currency: String?
        let date_created_gmt: String?
        let date_modified_gmt: String?
        let date_completed_gmt: String?
        let total: ShopValues.Amount?
        let billing: Address?
        let shipping: Address?
        let line_items: [LineItem]?
        let refunds: [Refund]?
        let meta_data: [Meta]?
    }
    struct Address: Decodable {
        let first_name: String?
        let last_name: String?
        let email: String?
        let country: String?
    }
    struct LineItem: Decodable {
        let name: String?
        let product_id: ShopValues.ID?
        let variation_id: ShopValues.ID?
        let quantity: Int?
        let price: ShopValues.Amount?
        let sku: String?
    }
    struct Refund: Decodable { let total: ShopValues.Amount? }
    struct Meta: Decodable {
        let key: String?
        let value: MetaValue?
    }
    /// A meta value is whatever a plugin stored: text, a number, a list; only text and numbers are read.
    struct MetaValue: Decodable {
        let text: String?
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) {
                text = s
            } else if let b = try? c.decode(Bool.self) {
                text = b ? "yes" : "no"
            } else if let n = try? c.decode(Int64.self) {
                text = String(n)
            } else {
                text = nil
            }
        }
    }
    struct Product: Decodable {
        let id: ShopValues.ID
        let name: String?
        let permalink: String?
        let sku: String?
        let global_unique_id: String?
        let images: [Image]?
        let brands: [Brand]?
    }
    struct Image: Decodable { let src: String? }
    struct Brand: Decodable { let name: String? }
}

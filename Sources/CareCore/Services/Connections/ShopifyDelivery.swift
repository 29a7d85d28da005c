import Foundation

/// Shopify's webhook bodies, read into `ShopEvent`s. Field names follow Shopify's Admin REST
/// resources (Order, Fulfillment, Refund, Product) and its mandatory privacy webhooks; only what
/// CareLoop keeps is read, and any other field may be there or not.
public enum ShopifyDelivery {
    public static let orderTopics: Set<String> = [
        "orders/create", "orders/updated", "orders/paid", "orders/fulfilled", "orders/partially_fulfilled", "orders/cancelled",
    ]
    /// The topics the connection page asks the owner to pick.
    public static let topics = [
        "orders/create", "orders/updated", "orders/paid", "orders/fulfilled", "orders/cancelled", "fulfillments/create", "refunds/create",
        "products/create", "products/update",
    ]

    public static func event(topic: String, body: Data, shopDomain: String) throws -> ShopEvent {
        try ShopValues.event { try read(topic: topic, body: body, shopDomain: shopDomain) }
    }

    static func read(topic: String, body: Data, shopDomain: String) throws -> ShopEvent {
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try ShopValues.decode(T.self, from: body, topic: topic) }
        switch topic {
        case _ where orderTopics.contains(topic):
            return try order(decode(Order.self))
        case "fulfillments/create", "fulfillments/update":
            let f = try decode(Fulfillment.self)
            guard f.status == nil || f.status == "success" else { return .ignored("a fulfilment not done yet (\(f.status ?? ""))") }
            guard let orderID = f.order_id?.text, let at = try ShopValues.date(f.created_at, field: "created_at") else {
                throw MalformedDelivery("order_id or created_at is missing")
            }
            return .fulfilment(orderID: orderID, at: at)
        case "refunds/create":
            let r = try decode(Refund.self)
            guard let orderID = r.order_id?.text else { throw MalformedDelivery("order_id is missing") }
            let at = try ShopValues.date(r.processed_at ?? r.created_at, field: "created_at") ?? Date()
            return .refund(orderID: orderID, amountCents: refunded(r.transactions ?? [], currency: nil), at: at)
        case "products/create", "products/update":
            return .product(try product(decode(Product.self), shopDomain: shopDomain))
        case "customers/data_request":
            let p = try decode(PrivacyRequest.self)
            guard let email = p.customer?.email, !email.isEmpty else { return .ignored("a data request without an email") }
            return .dataRequest(email: email)
        case "customers/redact":
            let p = try decode(PrivacyRequest.self)
            guard let email = p.customer?.email, !email.isEmpty else { return .ignored("an erasure request without an email") }
            return .redactCustomer(email: email, orders: (p.orders_to_redact ?? []).compactMap { $0.id?.text })
        case "shop/redact":
            return .redactShop
        default:
            return .ignored("not a topic CareLoop uses")
        }
    }

    static func order(_ o: Order) throws -> ShopEvent {
        guard let email = [o.email, o.contact_email, o.customer?.email].compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            return .ignored("an order without the buyer's email (a point-of-sale sale?)")
        }
        var items: [OrderSubmission.Item] = []
        for line in o.line_items ?? [] {
            // A custom line (no product in the catalog) has nothing to review.
            guard let productID = line.product_id?.text, line.quantity ?? 1 > 0 else { continue }
            var ref = ProductRef(externalID: productID, name: try ShopValues.text(line.title ?? line.name, field: "line_items.title", max: 300))
            ref.brand = try ShopValues.text(line.vendor, field: "line_items.vendor", max: 255)
            var item = OrderSubmission.Item(
                product: ref, quantity: max(1, line.quantity ?? 1), unitPriceCents: line.price?.cents(currency: o.currency))
            item.name = try ShopValues.text(line.name, field: "line_items.name", max: 1_000)
            item.variantID = line.variant_id?.text
            item.sku = try ShopValues.text(line.sku, field: "line_items.sku", max: 255)
            items.append(item)
        }
        guard !items.isEmpty else { return .ignored("an order with no catalog product to review") }
        let customerName = ShopValues.fullName(o.customer?.first_name, o.customer?.last_name) ?? ShopValues.fullName(o.billing_address?.name)
        var s = OrderSubmission(
            externalID: o.id.text, customer: CustomerRef(email: email, name: customerName), items: items,
            placedAt: try ShopValues.date(o.processed_at ?? o.created_at, field: "created_at"),
            totalCents: o.total_price?.cents(currency: o.currency), currency: o.currency, locale: ShopValues.language(o.customer_locale))
        s.sourceUpdatedAt = try ShopValues.date(o.updated_at, field: "updated_at")
        s.fullState = true
        if o.fulfillment_status == "fulfilled" {
            let times = try (o.fulfillments ?? []).filter { $0.status == nil || $0.status == "success" }
                .compactMap { try ShopValues.date($0.created_at, field: "fulfillments.created_at") }
            s.fulfilledAt = times.max() ?? s.sourceUpdatedAt
        }
        s.cancelledAt = try ShopValues.date(o.cancelled_at, field: "cancelled_at")
        let refundedCents = refunded((o.refunds ?? []).flatMap { $0.transactions ?? [] }, currency: o.currency)
        s.refundedCents = refundedCents
        if o.financial_status == "refunded" {
            let times = try (o.refunds ?? []).compactMap { try ShopValues.date($0.processed_at ?? $0.created_at, field: "refunds.created_at") }
            s.refundedAt = times.max() ?? s.sourceUpdatedAt ?? Date()
        }
        switch o.customer?.email_marketing_consent?.state {
        case "subscribed": s.marketingConsent = true
        case "not_subscribed", "unsubscribed", "redacted", "invalid": s.marketingConsent = false
        default: s.marketingConsent = o.buyer_accepts_marketing ?? o.customer?.accepts_marketing
        }
        s.country = ShopValues.country(o.billing_address?.country_code) ?? ShopValues.country(o.shipping_address?.country_code)
        return .order(s)
    }

    /// What successful refund transactions returned, in minor units.
    static func refunded(_ transactions: [Transaction], currency: String?) -> Int? {
        let done = transactions.filter { ($0.kind == nil || $0.kind == "refund") && ($0.status == nil || $0.status == "success") }
        guard !done.isEmpty else { return nil }
        return ShopValues.total(done.compactMap { $0.amount?.cents(currency: $0.currency ?? currency) })
    }

    static func product(_ p: Product, shopDomain: String) throws -> ProductRef {
        var ref = ProductRef(externalID: p.id.text, name: try ShopValues.text(p.title, field: "title", max: 300))
        if let handle = p.handle, !handle.isEmpty, handle.utf8.count <= 255,
            handle.unicodeScalars.allSatisfy({ CharacterSet.urlPathAllowed.contains($0) && $0 != "/" })
        {
            ref.url = "https://\(shopDomain)/products/\(handle)"
        }
        ref.imageURL = try ShopValues.text(p.image?.src ?? p.images?.first?.src, field: "image.src", max: 2_000)
        let variant = p.variants?.first
        ref.sku = try ShopValues.text(variant?.sku, field: "variants.sku", max: 255)
        ref.gtin = try ShopValues.text(variant?.barcode, field: "variants.barcode", max: 255)
        ref.brand = try ShopValues.text(p.vendor, field: "vendor", max: 255)
        return ref
    }

    // The resources' shapes, as Shopify names their fields.
    struct Order: Decodable {
        let id: ShopValues.ID
        let email: String?
        let contact_email: String?
        let created_at: String?
        let processed_at: String?
        let updated_at: String?
        let cancelled_at: String?
        let currency: String?
        let total_price: ShopValues.Amount?
        let financial_status: String?
        let fulfillment_status: String?
        let customer_locale: String?
        let buyer_accepts_marketing: Bool?
        let customer: Customer?
        let billing_address: Address?
        let shipping_address: Address?
        let line_items: [LineItem]?
        let fulfillments: [Fulfillment]?
        let refunds: [Refund]?
    }
    struct Customer: Decodable {
        let email: String?
        let first_name: String?
        let last_name: String?
        let accepts_marketing: Bool?
        let email_marketing_consent: Consent?
    }
    struct Consent: Decodable { let state: String? }
    struct Address: Decodable {
        let name: String?
        let country_code: String?
    }
    struct LineItem: Decodable {
        let product_id: ShopValues.ID?
        let variant_id: ShopValues.ID?
        let title: String?
        let name: String?
        let quantity: Int?
        let price: ShopValues.Amount?
        let sku: String?
        let vendor: String?
    }
    struct Fulfillment: Decodable {
        let order_id: ShopValues.ID?
        let status: String?
        let created_at: String?
    }
    struct Refund: Decodable {
        let order_id: ShopValues.ID?
        let created_at: String?
        let processed_at: String?
        let transactions: [Transaction]?
    }
    struct Transaction: Decodable {
        let kind: String?
        let status: String?
        let amount: ShopValues.Amount?
        let currency: String?
    }
    struct Product: Decodable {
        let id: ShopValues.ID
        let title: String?
        let handle: String?
        let vendor: String?
        let image: Image?
        let images: [Image]?
        let variants: [Variant]?
    }
    struct Image: Decodable { let src: String? }
    struct Variant: Decodable {
        let sku: String?
        let barcode: String?
    }
    struct PrivacyRequest: Decodable {
        let customer: PrivacyCustomer?
        let orders_to_redact: [ShopValues.LenientID]?
    }
    struct PrivacyCustomer: Decodable { let email: String? }
}

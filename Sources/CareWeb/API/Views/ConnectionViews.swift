import CareCore
import Foundation

/// A shop connection as the API shows it; its secret only in the answer that made it.
struct ConnectionView: Encodable {
    let connection: ShopConnection
    let webhookURL: String
    var showSecret = false

    enum CodingKeys: String, CodingKey {
        case id, platform, shopDomain = "shop_domain", webhookUrl = "webhook_url", status, paused, topics, secret
        case lastEventAt = "last_event_at", lastEventTopic = "last_event_topic", refusedCount = "refused_count"
        case malformedCount = "malformed_count", lastRefusalAt = "last_refusal_at", lastRefusalReason = "last_refusal_reason"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        let c0 = connection
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeID(c0.id, forKey: .id)
        try c.encode(c0.platformName, forKey: .platform)
        try c.encode(c0.shopDomain, forKey: .shopDomain)
        try c.encode(webhookURL, forKey: .webhookUrl)
        try c.encode(ConnectionStatus.of(c0).rawValue, forKey: .status)
        try c.encode(c0.paused, forKey: .paused)
        try c.encode(c0.platform == .shopify ? ShopifyDelivery.topics : WooCommerceDelivery.topics, forKey: .topics)
        if showSecret { try c.encode(c0.secret, forKey: .secret) }
        try c.encodeDate(c0.lastEventAt, forKey: .lastEventAt)
        try c.encode(c0.lastEventTopic, forKey: .lastEventTopic)
        try c.encode(c0.refusedCount, forKey: .refusedCount)
        try c.encode(c0.malformedCount, forKey: .malformedCount)
        try c.encodeDate(c0.lastRefusalAt, forKey: .lastRefusalAt)
        try c.encode(c0.lastRefusalReason, forKey: .lastRefusalReason)
        try c.encodeDate(c0.createdAt, forKey: .createdAt)
    }
}

/// `waiting` (nothing signed received yet), `connected`, `paused`.
enum ConnectionStatus: String {
    case waiting, connected, paused
    static func of(_ c: ShopConnection) -> ConnectionStatus { c.paused ? .paused : c.lastEventAt == nil ? .waiting : .connected }
}

struct ConnectionPayload: Decodable {
    let platform: String?
    let shopDomain: String?
    let secret: String?
    let paused: Bool?
    enum CodingKeys: String, CodingKey { case platform, shopDomain = "shop_domain", secret, paused }
}

/// An order as `GET /api/v1/orders` reads it back.
struct OrderDetailView: Encodable {
    let detail: OrderQueries.Detail

    struct Line: Encodable {
        let line: OrderQueries.Detail.Line
        enum CodingKeys: String, CodingKey {
            case productExternalId = "product_external_id", productName = "product_name", name, variantId = "variant_id", sku, quantity
            case unitPrice = "unit_price"
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(line.productExternalID, forKey: .productExternalId)
            try c.encode(line.productName, forKey: .productName)
            try c.encode(line.name, forKey: .name)
            try c.encode(line.variantID, forKey: .variantId)
            try c.encode(line.sku, forKey: .sku)
            try c.encode(line.quantity, forKey: .quantity)
            try c.encode(line.unitPriceCents, forKey: .unitPrice)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, externalId = "external_id", customer, items, placedAt = "placed_at", fulfilledAt = "fulfilled_at"
        case cancelledAt = "cancelled_at", refundedAt = "refunded_at", refunded, total, currency, locale, country
        case marketingConsent = "marketing_consent", source, connectionId = "connection_id", reviewRequest = "review_request"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        let o = detail.order
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeID(o.id, forKey: .id)
        try c.encode(o.externalID, forKey: .externalId)
        try c.encode(["email": detail.customerEmail, "name": detail.customerName], forKey: .customer)
        try c.encode(detail.lines.map(Line.init), forKey: .items)
        try c.encodeDate(o.placedAt, forKey: .placedAt)
        try c.encodeDate(o.fulfilledAt, forKey: .fulfilledAt)
        try c.encodeDate(o.cancelledAt, forKey: .cancelledAt)
        try c.encodeDate(o.refundedAt, forKey: .refundedAt)
        try c.encode(o.refundedCents, forKey: .refunded)
        try c.encode(o.totalCents, forKey: .total)
        try c.encode(o.currency, forKey: .currency)
        try c.encode(o.locale, forKey: .locale)
        try c.encode(o.country, forKey: .country)
        try c.encode(o.marketingConsent, forKey: .marketingConsent)
        try c.encode(o.source, forKey: .source)
        try c.encodeID(o.connectionID, forKey: .connectionId)
        try c.encode(detail.request, forKey: .reviewRequest)
        try c.encodeDate(o.createdAt, forKey: .createdAt)
    }
}

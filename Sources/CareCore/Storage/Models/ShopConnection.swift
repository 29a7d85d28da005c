import FluentKit
import Foundation

/// The shop platforms CareLoop receives webhooks from.
public enum ShopPlatform: String, Sendable, Codable, CaseIterable {
    case shopify
    case woocommerce

    /// The platform's name as its admin writes it.
    public var displayName: String { self == .shopify ? "Shopify" : "WooCommerce" }
}

/// A store's link to its shop: the shop's webhooks, signed with the secret the shop showed the owner.
public final class ShopConnection: Model, @unchecked Sendable {
    public static let schema = "shop_connections"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "platform") public var platformName: String
    /// `my-shop.myshopify.com`, `shop.example.com`: where the deliveries say they come from.
    @Field(key: "shop_domain") public var shopDomain: String
    /// The webhook signing secret as the shop shows it (needed to check each delivery's HMAC, so kept
    /// as it is, like webhook endpoints' secrets; shown once, when the connection is made).
    @Field(key: "secret") public var secret: String
    @Field(key: "paused") public var paused: Bool
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "last_event_at") public var lastEventAt: Date?
    @OptionalField(key: "last_event_topic") public var lastEventTopic: String?
    /// Deliveries refused for their signature (counted at most once a second, see `ConnectionRefusals`).
    @Field(key: "refused_count") public var refusedCount: Int
    /// Signed deliveries whose body was not the JSON the topic needs (answered 400).
    @Field(key: "malformed_count") public var malformedCount: Int
    @OptionalField(key: "last_refusal_at") public var lastRefusalAt: Date?
    @OptionalField(key: "last_refusal_reason") public var lastRefusalReason: String?
    /// When Shopify asked (shop/redact) that the shop's data be erased: the connection is paused.
    @OptionalField(key: "shop_redact_at") public var shopRedactAt: Date?
    /// The delivery URL's last part (`/connect/shopify/<url_key>`): 32 random bytes, so an outsider
    /// cannot find a connection to send bodies to. The connection's `id` names it in the API.
    @Field(key: "url_key") public var urlKey: String

    public init() {}

    public var platform: ShopPlatform { ShopPlatform(rawValue: platformName) ?? .shopify }
}

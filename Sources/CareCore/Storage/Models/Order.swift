import FluentKit
import Foundation

/// A purchase, as the store's shop system reported it. Orders are what verify reviews.
public final class Order: Model, @unchecked Sendable {
    public static let schema = "orders"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "external_id") public var externalID: String
    @Field(key: "customer_id") public var customerID: UUID
    @OptionalField(key: "placed_at") public var placedAt: Date?
    @OptionalField(key: "fulfilled_at") public var fulfilledAt: Date?
    /// In the currency's minor unit (cents), when the shop sent prices; feeds lifetime value.
    @OptionalField(key: "total_cents") public var totalCents: Int?
    @OptionalField(key: "currency") public var currency: String?
    /// The buyer's language tag as the shop sent it (`de`, `de-AT`, `en_GB`).
    @OptionalField(key: "locale") public var locale: String?
    @Field(key: "created_at") public var createdAt: Date
    /// Set once the shop cancels the order: its review request stops (`cancelled`).
    @OptionalField(key: "cancelled_at") public var cancelledAt: Date?
    /// Set once the order is refunded in full: its review request stops (`refunded`).
    @OptionalField(key: "refunded_at") public var refundedAt: Date?
    /// What refunds returned so far, in minor units (a refund delivery adds to it).
    @OptionalField(key: "refunded_cents") public var refundedCents: Int?
    /// The buyer's marketing consent as the shop reported it; nil when the shop said nothing.
    @OptionalField(key: "marketing_consent") public var marketingConsent: Bool?
    /// The buyer's country (ISO 3166 alpha-2, billing address first), for consent by country.
    @OptionalField(key: "country") public var country: String?
    /// Where the order came from: `api`, `import`, `shopify`, `woocommerce`.
    @Field(key: "source") public var source: String
    /// The shop connection that brought it (kept when the connection is deleted).
    @OptionalField(key: "connection_id") public var connectionID: UUID?
    /// The platform's own time of its latest change: an older delivery never undoes a newer one.
    @OptionalField(key: "source_updated_at") public var sourceUpdatedAt: Date?

    public init() {}

    public init(
        storeID: UUID, externalID: String, customerID: UUID, placedAt: Date?, fulfilledAt: Date?,
        totalCents: Int?, currency: String?, createdAt: Date
    ) {
        self.storeID = storeID
        self.externalID = externalID
        self.customerID = customerID
        self.placedAt = placedAt
        self.fulfilledAt = fulfilledAt
        self.totalCents = totalCents
        self.currency = currency
        self.createdAt = createdAt
        self.source = "api"
    }
}

public final class OrderItem: Model, @unchecked Sendable {
    public static let schema = "order_items"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "order_id") public var orderID: UUID
    @Field(key: "product_id") public var productID: UUID
    @Field(key: "quantity") public var quantity: Int
    @OptionalField(key: "unit_price_cents") public var unitPriceCents: Int?
    /// The line as the shop wrote it (product and variant), and the variant's own id and SKU.
    @OptionalField(key: "name") public var name: String?
    @OptionalField(key: "variant_id") public var variantID: String?
    @OptionalField(key: "sku") public var sku: String?

    public init() {}

    public init(storeID: UUID, orderID: UUID, productID: UUID, quantity: Int, unitPriceCents: Int?) {
        self.storeID = storeID
        self.orderID = orderID
        self.productID = productID
        self.quantity = quantity
        self.unitPriceCents = unitPriceCents
    }
}

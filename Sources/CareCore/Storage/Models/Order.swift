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

    public init() {}

    public init(storeID: UUID, orderID: UUID, productID: UUID, quantity: Int, unitPriceCents: Int?) {
        self.storeID = storeID
        self.orderID = orderID
        self.productID = productID
        self.quantity = quantity
        self.unitPriceCents = unitPriceCents
    }
}

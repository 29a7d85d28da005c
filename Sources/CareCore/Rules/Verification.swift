/// The "verified buyer" badge. Only a real order of this customer that contains this product earns it;
/// there is no way for a store to set it by hand. Published rule (docs/privacy.md, "How verification works"):
/// - if the review names an order, that order must belong to the reviewer and contain the product;
/// - if it names none, any order of the reviewer containing the product counts.
public enum Verification {
    public struct OrderFacts: Sendable {
        public var orderID: UUIDString
        public var customerID: UUIDString
        public var productIDs: Set<UUIDString>
        public init(orderID: UUIDString, customerID: UUIDString, productIDs: Set<UUIDString>) {
            self.orderID = orderID
            self.customerID = customerID
            self.productIDs = productIDs
        }
    }

    public typealias UUIDString = String

    /// Returns the order that verifies the review, or nil when the review is unverified.
    /// `namedOrder` is the order the review named (nil if it named none or the name matched nothing);
    /// `customerOrders` are the reviewer's orders, used only when no order was named.
    public static func verifyingOrder(
        customerID: UUIDString, productID: UUIDString,
        namedOrder: OrderFacts?, orderWasNamed: Bool, customerOrders: [OrderFacts]
    ) -> OrderFacts? {
        if orderWasNamed {
            guard let order = namedOrder, order.customerID == customerID, order.productIDs.contains(productID) else {
                return nil
            }
            return order
        }
        return customerOrders.first { $0.customerID == customerID && $0.productIDs.contains(productID) }
    }
}

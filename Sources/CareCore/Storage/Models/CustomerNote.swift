import FluentKit
import Foundation

/// A staff member's note on a customer: what was promised, what they prefer. Never shown to the customer.
public final class CustomerNote: Model, @unchecked Sendable {
    public static let schema = "customer_notes"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "customer_id") public var customerID: UUID
    @OptionalField(key: "staff_id") public var staffID: UUID?
    @Field(key: "body") public var body: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

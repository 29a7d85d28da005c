import FluentKit
import Foundation

/// A person who bought or reviewed, one per store, keyed by normalised email.
public final class Customer: Model, @unchecked Sendable {
    public static let schema = "customers"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "email") public var email: String
    @OptionalField(key: "name") public var name: String?
    @Field(key: "created_at") public var createdAt: Date
    /// When the customer's personal data was erased on request (see `CustomerPrivacy`).
    @OptionalField(key: "erased_at") public var erasedAt: Date?

    public init() {}

    public init(storeID: UUID, email: String, name: String?, createdAt: Date) {
        self.storeID = storeID
        self.email = email
        self.name = name
        self.createdAt = createdAt
    }
}

import FluentKit
import Foundation

/// A store's API key. Only its SHA-256 is stored; the key itself is shown once, when made.
public final class APIKey: Model, @unchecked Sendable {
    public static let schema = "api_keys"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "name") public var name: String
    @Field(key: "key_hash") public var keyHash: String
    /// The first characters of the key, so a person can tell keys apart in a list.
    @Field(key: "prefix") public var prefix: String
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "revoked_at") public var revokedAt: Date?

    public init() {}

    public init(storeID: UUID, name: String, keyHash: String, prefix: String, createdAt: Date) {
        self.storeID = storeID
        self.name = name
        self.keyHash = keyHash
        self.prefix = prefix
        self.createdAt = createdAt
    }
}

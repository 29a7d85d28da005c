import FluentKit
import Foundation

/// Something the store sells, known by the store's own id for it (`external_id`).
public final class Product: Model, @unchecked Sendable {
    public static let schema = "products"

    @ID(key: .id) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "external_id") public var externalID: String
    @Field(key: "name") public var name: String
    @OptionalField(key: "url") public var url: String?
    @OptionalField(key: "image_url") public var imageURL: String?
    @Field(key: "created_at") public var createdAt: Date
    /// The shop's identifiers, for search engines (JSON-LD, the Google feed): SKU, GTIN (the
    /// barcode), the maker's part number and the brand (a Shopify product's vendor).
    @OptionalField(key: "sku") public var sku: String?
    @OptionalField(key: "gtin") public var gtin: String?
    @OptionalField(key: "mpn") public var mpn: String?
    @OptionalField(key: "brand") public var brand: String?

    public init() {}

    public init(id: UUID? = nil, storeID: UUID, externalID: String, name: String, url: String?, imageURL: String?, createdAt: Date) {
        self.id = id
        self.storeID = storeID
        self.externalID = externalID
        self.name = name
        self.url = url
        self.imageURL = imageURL
        self.createdAt = createdAt
    }
}

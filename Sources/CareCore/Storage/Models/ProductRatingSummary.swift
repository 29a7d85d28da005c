import FluentKit
import Foundation

/// Running counts of a product's published reviews, one row per product, updated in the same
/// transaction as every change of a review's publication. Reading it costs one row, not a scan.
public final class ProductRatingSummary: Model, @unchecked Sendable {
    public static let schema = "product_rating_summaries"

    /// The product's id: one summary per product.
    @ID(custom: "product_id", generatedBy: .user) public var id: UUID?
    @Field(key: "store_id") public var storeID: UUID
    @Field(key: "stars_1") public var stars1: Int
    @Field(key: "stars_2") public var stars2: Int
    @Field(key: "stars_3") public var stars3: Int
    @Field(key: "stars_4") public var stars4: Int
    @Field(key: "stars_5") public var stars5: Int

    public init() {}

    public init(productID: UUID, storeID: UUID) {
        self.id = productID
        self.storeID = storeID
        stars1 = 0
        stars2 = 0
        stars3 = 0
        stars4 = 0
        stars5 = 0
    }

    public var summary: RatingSummary { RatingSummary(stars: [stars1, stars2, stars3, stars4, stars5]) }
}

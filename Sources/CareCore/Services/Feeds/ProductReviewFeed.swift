import FluentKit
import Foundation
import SQLKit

/// What Google's product ratings feed reads: a store's published reviews with their products, a page
/// at a time in (created_at, id) order, so a feed of any size is written without holding it all.
/// Plain values only; `ProductReviewFeedXML` turns them into the feed.
public enum ProductReviewFeed {
    public static let pageSize = 500

    public struct Item: Sendable {
        public let id: UUID
        public let rating: Int
        public let title: String?
        public let body: String?
        public let authorName: String
        /// Written from a review request (the email after the order): Google's `post_fulfillment`.
        public let fromRequest: Bool
        public let createdAt: Date
        public let product: ProductFacts

        public init(
            id: UUID, rating: Int, title: String?, body: String?, authorName: String, fromRequest: Bool, createdAt: Date,
            product: ProductFacts
        ) {
            self.id = id
            self.rating = rating
            self.title = title
            self.body = body
            self.authorName = authorName
            self.fromRequest = fromRequest
            self.createdAt = createdAt
            self.product = product
        }
    }

    public struct ProductFacts: Sendable {
        public let externalID: String
        public let name: String
        public let url: String?
        public let sku: String?
        public let gtin: String?
        public let mpn: String?
        public let brand: String?

        public init(externalID: String, name: String, url: String?, sku: String?, gtin: String?, mpn: String?, brand: String?) {
            self.externalID = externalID
            self.name = name
            self.url = url
            self.sku = sku
            self.gtin = gtin
            self.mpn = mpn
            self.brand = brand
        }
    }

    /// Where the next page starts: the last review read. Its time is only a stand-in for when that
    /// review is gone by then; otherwise the database compares with its own stored value (a date read
    /// into Swift is rounded, and bound again it could skip or repeat a review).
    public struct Cursor: Sendable {
        public let id: UUID
        public let createdAt: Date
    }

    /// Up to `limit` published reviews of the store after `after`, oldest first (a review published
    /// while the feed is read lands after the cursor and is still listed).
    public static func page(storeID: UUID, after: Cursor?, limit: Int = pageSize, on db: any Database) async throws -> [Item] {
        var cursor: SQLQueryString = ""
        if let after {
            let start: SQLQueryString =
                "COALESCE((SELECT x.created_at FROM reviews x WHERE x.id = \(bind: after.id)), \(bind: after.createdAt))"
            // The first condition alone bounds the index range; the second settles ties on the same time.
            cursor = "AND r.created_at >= \(start) AND (r.created_at > \(start) OR r.id > \(bind: after.id))"
        }
        let rows = try await db.sql.raw(
            """
            SELECT r.id, r.rating, r.title, r.body, r.author_name, r.source, r.created_at,
              p.external_id, p.name AS product_name, p.url AS product_url, p.sku, p.gtin, p.mpn, p.brand
            FROM reviews r JOIN products p ON p.id = r.product_id AND p.store_id = r.store_id
            WHERE r.store_id = \(bind: storeID) AND r.status = \(bind: ReviewStatus.published.rawValue) \(cursor)
            ORDER BY r.created_at, r.id LIMIT \(bind: max(1, limit))
            """
        ).all()
        return try rows.map { row in
            Item(
                id: try row.decode(column: "id", as: UUID.self), rating: try row.decode(column: "rating", as: Int.self),
                title: try row.decode(column: "title", as: String?.self), body: try row.decode(column: "body", as: String?.self),
                authorName: try row.decode(column: "author_name", as: String.self),
                fromRequest: try row.decode(column: "source", as: String.self) == ReviewSource.request.rawValue,
                createdAt: try row.decode(column: "created_at", as: Date.self),
                product: ProductFacts(
                    externalID: try row.decode(column: "external_id", as: String.self),
                    name: try row.decode(column: "product_name", as: String.self),
                    url: try row.decode(column: "product_url", as: String?.self), sku: try row.decode(column: "sku", as: String?.self),
                    gtin: try row.decode(column: "gtin", as: String?.self), mpn: try row.decode(column: "mpn", as: String?.self),
                    brand: try row.decode(column: "brand", as: String?.self)))
        }
    }

    public static func cursor(after item: Item) -> Cursor {
        Cursor(id: item.id, createdAt: item.createdAt)
    }

    /// A few counts that change whenever the feed's content does, read before anything is streamed
    /// (the ETag): published and all reviews (a deletion), the newest review change (publishing,
    /// rejecting, an edit, an erasure all set `updated_at`), and the products' count and total text
    /// length (products keep no change time: an edit to a name, URL or identifier of the same length
    /// goes unseen until a review changes; the feed is still fresh within its cache time for CDNs).
    public struct Fingerprint: Sendable, Equatable {
        public let published: Int
        public let reviews: Int
        public let newestChange: Double
        public let products: Int
        public let productCharacters: Int

        public var text: String { "\(published)/\(reviews)/\(newestChange)/\(products)/\(productCharacters)" }
    }

    public static func fingerprint(storeID: UUID, on db: any Database) async throws -> Fingerprint {
        let s = storeID
        let row = try await db.sql.raw(
            """
            SELECT
              (SELECT COUNT(*) FROM reviews WHERE store_id = \(bind: s) AND status = \(bind: ReviewStatus.published.rawValue)) AS published,
              (SELECT COUNT(*) FROM reviews WHERE store_id = \(bind: s)) AS reviews,
              (SELECT MAX(updated_at) FROM reviews WHERE store_id = \(bind: s)) AS newest,
              (SELECT COUNT(*) FROM products WHERE store_id = \(bind: s)) AS products,
              (SELECT COALESCE(SUM(LENGTH(name) + COALESCE(LENGTH(url), 0) + COALESCE(LENGTH(sku), 0) + COALESCE(LENGTH(gtin), 0)
                + COALESCE(LENGTH(mpn), 0) + COALESCE(LENGTH(brand), 0)), 0) FROM products WHERE store_id = \(bind: s)) AS product_characters
            """
        ).first()
        guard let row else { return Fingerprint(published: 0, reviews: 0, newestChange: 0, products: 0, productCharacters: 0) }
        return Fingerprint(
            published: try row.decode(column: "published", as: Int.self), reviews: try row.decode(column: "reviews", as: Int.self),
            newestChange: try row.decode(column: "newest", as: Date?.self)?.timeIntervalSince1970 ?? 0,
            products: try row.decode(column: "products", as: Int.self),
            productCharacters: try row.decode(column: "product_characters", as: Int.self))
    }
}

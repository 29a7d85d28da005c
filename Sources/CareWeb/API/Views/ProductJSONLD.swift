import CareCore
import Foundation

/// schema.org `Product` with its `AggregateRating` and `Review`s, built from the same data the list
/// and the widget show. The aggregate counts every published review (the running summary), and the
/// reviews are the page shown. Nil for a product with no published review: search engines must not
/// be shown a rating that does not exist.
enum ProductJSONLD {
    static func make(_ page: ReviewQueries.PublicPage) throws -> Data? {
        let s = page.summary
        guard s.count > 0 else { return nil }
        var product: [String: Any] = [
            "@context": "https://schema.org", "@type": "Product", "name": page.product.name, "sku": page.product.sku ?? page.product.externalID,
            "aggregateRating": [
                "@type": "AggregateRating", "ratingValue": String(format: "%.2f", s.average), "reviewCount": s.count,
                "bestRating": 5, "worstRating": 1,
            ],
        ]
        if let url = page.product.url { product["url"] = url }
        if let image = page.product.imageURL { product["image"] = image }
        // The shop's identifiers, when a connection brought them: what search engines match products by.
        if let gtin = page.product.gtin { product["gtin"] = gtin }
        if let mpn = page.product.mpn { product["mpn"] = mpn }
        if let brand = page.product.brand { product["brand"] = ["@type": "Brand", "name": brand] }
        product["review"] = page.reviews.map { l -> [String: Any] in
            var r: [String: Any] = [
                "@type": "Review", "author": ["@type": "Person", "name": l.review.authorName],
                "datePublished": String(ISODate.format(l.review.createdAt).prefix(10)),
                "reviewRating": ["@type": "Rating", "ratingValue": l.review.rating, "bestRating": 5, "worstRating": 1],
            ]
            if let title = l.review.title { r["name"] = title }
            if let body = l.review.body { r["reviewBody"] = body }
            return r
        }
        return try JSONSerialization.data(withJSONObject: product, options: [.sortedKeys])
    }

    /// The JSON-LD made safe inside an HTML `<script>`: no `<`, `>` or `&` left to end the element.
    static func forHTML(_ json: Data) -> String {
        String(decoding: json, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: ">", with: "\\u003e").replacingOccurrences(of: "&", with: "\\u0026")
    }
}

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
        let p = page.product
        return try JSONBody.data(
            Product(
                name: p.name, sku: p.sku ?? p.externalID, url: p.url, image: p.imageURL, gtin: p.gtin, mpn: p.mpn,
                brand: p.brand.map { Brand(name: $0) },
                aggregateRating: Aggregate(ratingValue: String(format: "%.2f", s.average), reviewCount: s.count),
                review: page.reviews.map { l in
                    Review(
                        author: Person(name: l.review.authorName), datePublished: String(ISODate.format(l.review.createdAt).prefix(10)),
                        reviewRating: Rating(ratingValue: l.review.rating), name: l.review.title, reviewBody: l.review.body)
                }))
    }

    // schema.org's own names: the JSON keys are the property names (absent ones are left out).
    struct Product: Encodable {
        let context = "https://schema.org"
        let type = "Product"
        let name: String
        let sku: String
        let url: String?
        let image: String?
        let gtin: String?
        let mpn: String?
        let brand: Brand?
        let aggregateRating: Aggregate
        let review: [Review]
        enum CodingKeys: String, CodingKey {
            case context = "@context", type = "@type", name, sku, url, image, gtin, mpn, brand, aggregateRating, review
        }
    }

    struct Brand: Encodable {
        let type = "Brand"
        let name: String
        enum CodingKeys: String, CodingKey { case type = "@type", name }
    }

    struct Aggregate: Encodable {
        let type = "AggregateRating"
        let ratingValue: String
        let reviewCount: Int
        let bestRating = 5
        let worstRating = 1
        enum CodingKeys: String, CodingKey { case type = "@type", ratingValue, reviewCount, bestRating, worstRating }
    }

    struct Review: Encodable {
        let type = "Review"
        let author: Person
        let datePublished: String
        let reviewRating: Rating
        let name: String?
        let reviewBody: String?
        enum CodingKeys: String, CodingKey { case type = "@type", author, datePublished, reviewRating, name, reviewBody }
    }

    struct Person: Encodable {
        let type = "Person"
        let name: String
        enum CodingKeys: String, CodingKey { case type = "@type", name }
    }

    struct Rating: Encodable {
        let type = "Rating"
        let ratingValue: Int
        let bestRating = 5
        let worstRating = 1
        enum CodingKeys: String, CodingKey { case type = "@type", ratingValue, bestRating, worstRating }
    }

    /// The JSON-LD made safe inside an HTML `<script>`: no `<`, `>` or `&` left to end the element
    /// (each only ever appears inside a JSON string, where `\u003c` means the same). Byte by byte:
    /// Foundation's `replacingOccurrences` was a quarter of the embed fragment's time.
    static func forHTML(_ json: Data) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(json.count + 64)
        for byte in json {
            switch byte {
            case UInt8(ascii: "<"): out.append(contentsOf: #"\u003c"#.utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: #"\u003e"#.utf8)
            case UInt8(ascii: "&"): out.append(contentsOf: #"\u0026"#.utf8)
            default: out.append(byte)
            }
        }
        return Data(out)
    }
}

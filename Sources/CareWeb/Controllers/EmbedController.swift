import CareCore
import Foundation
import Vapor

/// A product's published reviews for other sites: `/embed/{slug}/{external_id}` is an HTML fragment
/// (server-side includes, crawlers, visitors without script) with its schema.org JSON-LD, and
/// `/api/v1/public/stores/{slug}/products/{external_id}/jsonld` is the JSON-LD alone. Both are built
/// from the same page the public list serves, cached with it, and answered with ETag / 304.
enum EmbedController {
    struct Bar: Encodable {
        let stars: Int
        let count: Int
        let percent: Int
    }

    struct Item: Encodable {
        let stars: String
        let rating: Int
        let title: String?
        let body: String?
        let author: String
        let verified: Bool
        let date: String
        let reply: String?
    }

    struct Context: Encodable {
        let productName: String
        let average: String
        let count: Int
        let bars: [Bar]
        let reviews: [Item]
        let previous: String?
        let next: String?
        let page: Int
        let pages: Int
    }

    static func fragment(_ req: Request) async throws -> Response {
        let (slug, externalID, page) = try parameters(req)
        let cache = req.care.publicListCache
        let productKey = PublicListCache.productKey(storeSlug: slug, externalID: externalID)
        let variant = "embed/\(page.number)/\(page.size)"
        if let cached = cache.get(product: productKey, variant: variant) {
            return PublicCaching.response(req, body: cached, contentType: "text/html; charset=utf-8")
        }
        let result = try await ReviewQueries.publicPage(storeSlug: slug, productExternalID: externalID, page: page, on: req.db)
        let s = result.summary
        let pages = max(1, (s.count + page.size - 1) / page.size)
        let base =
            "/embed/\(slug.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")/"
            + (externalID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        let context = Context(
            productName: result.product.name, average: String(format: "%.1f", s.average), count: s.count,
            bars: (1...5).reversed().map { n in
                let c = s.distribution[String(n)] ?? 0
                return Bar(stars: n, count: c, percent: s.count == 0 ? 0 : Int((Double(c) * 100 / Double(s.count)).rounded()))
            },
            reviews: result.reviews.map { l in
                Item(
                    stars: String(repeating: "★", count: l.review.rating) + String(repeating: "☆", count: 5 - l.review.rating),
                    rating: l.review.rating, title: l.review.title, body: l.review.body, author: l.review.authorName,
                    verified: l.review.verified, date: String(ISODate.format(l.review.createdAt).prefix(10)), reply: l.reply?.body)
            },
            previous: page.number > 1 ? "\(base)?page=\(page.number - 1)&per_page=\(page.size)" : nil,
            next: page.number < pages ? "\(base)?page=\(page.number + 1)&per_page=\(page.size)" : nil,
            page: page.number, pages: pages)
        let view = try await req.view.render("embed-reviews", context)
        var body = Data(buffer: view.data)
        if let jsonld = try ProductJSONLD.make(result) {
            body += Data("<script type=\"application/ld+json\">\(ProductJSONLD.forHTML(jsonld))</script>\n".utf8)
        }
        cache.put(product: productKey, store: result.product.storeID, productID: try result.product.requireID(), variant: variant, body: body)
        return PublicCaching.response(req, body: body, contentType: "text/html; charset=utf-8")
    }

    static func jsonld(_ req: Request) async throws -> Response {
        let (slug, externalID, page) = try parameters(req)
        let cache = req.care.publicListCache
        let productKey = PublicListCache.productKey(storeSlug: slug, externalID: externalID)
        let variant = "jsonld/\(page.number)/\(page.size)"
        let body: Data
        if let cached = cache.get(product: productKey, variant: variant) {
            body = cached
        } else {
            let result = try await ReviewQueries.publicPage(storeSlug: slug, productExternalID: externalID, page: page, on: req.db)
            body = try ProductJSONLD.make(result) ?? Data()
            cache.put(product: productKey, store: result.product.storeID, productID: try result.product.requireID(), variant: variant, body: body)
        }
        // A product without a published review has no rating to show: nothing is emitted.
        guard !body.isEmpty else {
            return Response(status: .noContent, headers: ["Access-Control-Allow-Origin": "*", "Cache-Control": PublicCaching.cacheControl])
        }
        return PublicCaching.response(req, body: body, contentType: "application/ld+json; charset=utf-8")
    }

    static func parameters(_ req: Request) throws -> (String, String, ReviewQueries.Page) {
        let slug = try req.parameters.require("slug")
        let externalID = try req.parameters.require("external_id")
        let page = try ReviewQueries.Page(number: try req.intQuery("page"), size: try req.intQuery("per_page"), defaultSize: 10)
        return (slug, externalID, page)
    }
}

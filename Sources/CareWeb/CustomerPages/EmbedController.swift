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

    /// The fragment's words, in English or German (`?lang=de`).
    static func labels(_ lang: String?) -> [String: String] {
        lang == "de"
            ? [
                "lang": "de", "aria": "Kundenbewertungen", "outOf": "von 5", "reviews": "Bewertungen", "verified": "Verifizierter Kauf",
                "page": "Seite", "of": "von", "previous": "Zurück", "next": "Weiter", "pages": "Bewertungsseiten", "reply": "Antwort des Shops",
                "none": "Noch keine Bewertungen. Schreiben Sie die erste!", "policy": "Wie wir Bewertungen sammeln",
            ]
            : [
                "lang": "en", "aria": "Customer reviews", "outOf": "out of 5", "reviews": "reviews", "verified": "Verified buyer",
                "page": "Page", "of": "of", "previous": "Previous", "next": "Next", "pages": "Review pages", "reply": "The shop's reply",
                "none": "No reviews yet. Be the first to write one!", "policy": "How reviews are collected",
            ]
    }

    struct Context: Encodable {
        let t: [String: String]
        /// The store's colour, and the text colour that reads on it (the widget's buttons take them).
        let accent: String
        let onAccent: String
        let productName: String
        let policyURL: String
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
        let lang = req.queryText("lang") == "de" ? "de" : "en"
        let variant = "embed/\(lang)/\(page.number)/\(page.size)"
        if let cached = cache.get(product: productKey, variant: variant) {
            return PublicCaching.response(req, body: cached, contentType: "text/html; charset=utf-8")
        }
        let result = try await ReviewQueries.publicPage(storeSlug: slug, productExternalID: externalID, page: page, on: req.db)
        let s = result.summary
        let pages = max(1, (s.count + page.size - 1) / page.size)
        // Absolute: the fragment is shown on the shop's own site (a server-side include), not on ours.
        let base =
            "\(req.care.links.publicURL)/embed/\(CareLinks.component(slug))/"
            + CareLinks.component(externalID)
        let look = try await StoreBrand.load(storeID: result.product.storeID, on: req.db)
        let context = Context(
            t: labels(lang), accent: look.accent, onAccent: look.onAccent, productName: result.product.name,
            policyURL: "\(req.care.links.publicURL)/s/\(CareLinks.component(slug))/review-policy", average: String(format: "%.1f", s.average),
            count: s.count,
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
            previous: page.number > 1 ? "\(base)?page=\(page.number - 1)&per_page=\(page.size)&lang=\(lang)" : nil,
            next: page.number < pages ? "\(base)?page=\(page.number + 1)&per_page=\(page.size)&lang=\(lang)" : nil,
            page: page.number, pages: pages)
        var body = Data(EmbedFragment.html(context).utf8)
        if let jsonld = try ProductJSONLD.make(result) {
            body += Data("<script type=\"application/ld+json\">".utf8) + ProductJSONLD.forHTML(jsonld) + Data("</script>\n".utf8)
        }
        cache.put(product: productKey, store: result.product.storeID, productID: result.product.id, variant: variant, body: body)
        // Read from the shop's own site: its widget is in place (noted on a miss, once a process).
        await req.care.widgetSightings.note(req, storeID: result.product.storeID)
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
            cache.put(product: productKey, store: result.product.storeID, productID: result.product.id, variant: variant, body: body)
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

/// Star summaries of several products in one request (`?products=a,b,c`): a category page's
/// product cards cost one request, never one per card.
enum SummariesController {
    struct Entry: Encodable {
        let count: Int
        let average: Double
    }

    struct Body: Encodable {
        let products: [String: Entry]
    }

    static func list(_ req: Request) async throws -> Response {
        let slug = try req.parameters.require("slug")
        let raw = req.queryText("products") ?? ""
        guard raw.count <= 2_000, raw.utf8.count <= 12_000 else { throw CareError.invalid("products", "is too long (2 000 characters at most)") }
        let ids = Array(Set(raw.split(separator: ",").map { String($0) }.filter { !$0.isEmpty })).sorted()
        guard !ids.isEmpty else { throw CareError.invalid("products", "name at least one product id, separated by commas") }
        guard ids.count <= ReviewQueries.maxSummaries else {
            throw CareError.invalid("products", "at most \(ReviewQueries.maxSummaries) products at once")
        }
        let found = try await ReviewQueries.summaries(storeSlug: slug, externalIDs: ids, on: req.db)
        var products: [String: Entry] = [:]
        for (id, s) in found { products[id] = Entry(count: s.count, average: (s.average * 100).rounded() / 100) }
        let body = try JSONBody.data(Body(products: products))
        return PublicCaching.response(req, body: body, contentType: "application/json; charset=utf-8")
    }
}

/// The widget's script and stylesheet, read from the bundle once and served with a strong ETag.
enum WidgetAsset {
    static func load(_ name: String) -> Data {
        guard let url = Bundle.module.resourceURL?.appendingPathComponent("Assets/\(name)"), let data = try? Data(contentsOf: url) else {
            return Data("/* CareLoop: \(name) is missing from this installation */".utf8)
        }
        return data
    }

    static let script = load("widget.js")
    static let stylesheet = load("widget.css")

    static func serveScript(_ req: Request) async throws -> Response {
        PublicCaching.response(req, body: script, contentType: "text/javascript; charset=utf-8")
    }

    static func serveStylesheet(_ req: Request) async throws -> Response {
        PublicCaching.response(req, body: stylesheet, contentType: "text/css; charset=utf-8")
    }
}

import CareCore
import Vapor

/// Settings → Showing reviews: the tags to paste, with the store's slug in them, and the widget as
/// the shop will show it (the store's colour included) on the product with the most reviews.
enum ShowingReviewsPage {
    struct Context: Encodable {
        let snippet: String
        let cardSnippet: String
        let previewProduct: String?
    }

    static func context(_ req: Request) async throws -> Context {
        let ctx = try req.staff
        let publicURL = req.care.links.publicURL
        let product = try await ReviewQueries.mostReviewedProduct(storeID: ctx.storeID, on: req.db)
        return Context(
            snippet: WidgetSnippet.html(publicURL: publicURL, slug: ctx.store.slug),
            cardSnippet: "<div data-careloop-product=\"PRODUCT_ID\"></div>", previewProduct: product)
    }

    /// The preview, framed by the settings page: the real widget on the store's busiest product.
    static func preview(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        guard let product = try await ReviewQueries.mostReviewedProduct(storeID: ctx.storeID, on: req.db) else {
            throw CareError.notFound("product with reviews")
        }
        // The product id comes from the shop's data: escaped for an attribute.
        let id = product.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        let slug = ctx.store.slug
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget preview</title>
            <link rel="stylesheet" href="/widget.css"></head>
            <body style="font-family:sans-serif;margin:1rem">
            <div data-careloop-reviews="\(id)"></div>
            <script src="/widget.js" data-store="\(slug)" async></script>
            </body></html>
            """
        let response = Response(status: .ok, body: .init(string: html))
        response.headers.contentType = .html
        // Framed by the settings page only; the widget's own styles are inline in its shadow root.
        response.headers.replaceOrAdd(
            name: "Content-Security-Policy",
            value:
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'self'; base-uri 'none'"
        )
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return response
    }
}

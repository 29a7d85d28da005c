import CareCore
import Vapor

/// What a storefront shows and sends, without a key: a product's published reviews, and the review form.
enum PublicReviewsController {
    static func list(_ req: Request) async throws -> Response {
        let slug = try req.parameters.require("slug")
        let externalID = try req.parameters.require("external_id")
        let page = try ReviewQueries.Page(number: try req.intQuery("page"), size: try req.intQuery("per_page"), defaultSize: 10)
        let cache = req.care.publicListCache
        let productKey = PublicListCache.productKey(storeSlug: slug, externalID: externalID)
        let variant = "\(page.number)/\(page.size)"
        let body: Data
        if let cached = cache.get(product: productKey, variant: variant) {
            body = cached
        } else {
            let result = try await ReviewQueries.publicPage(storeSlug: slug, productExternalID: externalID, page: page, on: req.db)
            body = try JSONBody.data(
                PublicListView(
                    summary: SummaryView(result.summary), reviews: result.reviews.map(PublicReviewView.init),
                    page: page.number, perPage: page.size))
            cache.put(product: productKey, store: result.product.storeID, productID: result.product.id, variant: variant, body: body)
            // Read from the shop's own site: its widget is in place (noted on a miss, once a process).
            await req.care.widgetSightings.note(req, storeID: result.product.storeID)
        }
        // The widget is embedded on the shop's own pages: any origin may read published reviews.
        return PublicCaching.response(req, body: body, contentType: "application/json; charset=utf-8")
    }

    static func create(_ req: Request) async throws -> Response {
        let slug = try req.parameters.require("slug")
        let externalID = try req.parameters.require("external_id")
        let (allowed, retryAfter) = await req.care.publicReviewLimiter.take(req.clientAddress)
        guard allowed else {
            throw RateLimitedError(retryAfter: retryAfter)
        }
        let p = try JSONBody.decode(PublicReviewPayload.self, from: req)
        guard let store = try await StoreService.store(slug: slug, on: req.db) else { throw CareError.notFound("store") }
        var submission = ReviewSubmission(
            product: ProductRef(externalID: externalID), customer: CustomerRef(email: p.authorEmail, name: p.authorName),
            rating: p.rating.value, title: p.title, body: p.body, authorName: p.authorName, source: .widget, mustBeKnownProduct: true)
        submission.emailField = "author_email"
        submission.customerNameField = "author_name"
        let stored = try await ReviewIngest.submit(
            submission, store: store, links: req.care.links, storage: req.care.storage, on: req.db)
        let response = try JSONBody.response(
            PublicReviewView(.init(review: try ReviewRow(stored.review), reply: nil, product: nil, customer: nil)), status: .created)
        response.headers.add(name: "X-Review-Status", value: stored.review.status.rawValue)
        response.headers.add(name: "Access-Control-Allow-Origin", value: "*")
        return response
    }
}

/// 429 with `Retry-After`, in the JSON error shape.
struct RateLimitedError: AbortError {
    let retryAfter: Int
    var status: HTTPResponseStatus { .tooManyRequests }
    var reason: String { "too many reviews from this address; try again in \(retryAfter) s" }
    var headers: HTTPHeaders { ["Retry-After": String(retryAfter)] }
}

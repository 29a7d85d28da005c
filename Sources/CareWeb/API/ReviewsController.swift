import CareCore
import Vapor

/// The store's review API: submit, list, read, reply, publish and reject.
enum ReviewsController {
    static func create(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let p = try JSONBody.decode(CreateReviewPayload.self, from: req)
        let stored = try await ReviewIngest.submit(
            ReviewSubmission(
                product: p.product.ref, customer: p.customer.ref, rating: p.rating.value, title: p.title,
                body: p.body, authorName: p.authorName, orderExternalID: p.orderExternalId, source: .api),
            store: ctx.store, links: req.care.links, storage: req.care.storage, on: req.db)
        return try JSONBody.response(
            StoreReviewView(listed: try .init(review: stored.review, product: stored.product, customer: stored.customer)), status: .created)
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let status = try req.enumQuery("status", as: ReviewStatus.self)
        let rating = try req.intQuery("rating").map { n throws(CareError) in try Rating(n) }
        let product = req.queryText("product").flatMap { $0.isEmpty ? nil : $0 }
        let page = try ReviewQueries.Page(number: try req.intQuery("page"), size: try req.intQuery("per_page"))
        let result = try await ReviewQueries.storeList(
            storeID: ctx.storeID, filter: .init(status: status, productExternalID: product, rating: rating), page: page, on: req.db)
        return try JSONBody.response(
            PageView(key: "reviews", items: result.reviews.map { StoreReviewView(listed: $0) }, page: page, total: result.total))
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "review")
        let listed = try await ReviewQueries.one(reviewID: id, storeID: ctx.storeID, on: req.db)
        return try JSONBody.response(StoreReviewView(listed: listed, history: try await ReviewUpdates.history(reviewID: id, on: req.db)))
    }

    static func reply(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "review")
        let p = try JSONBody.decode(ReplyPayload.self, from: req)
        _ = try await ReviewReplies.reply(reviewID: id, storeID: ctx.storeID, body: p.body, storage: req.care.storage, on: req.db)
        return try await respondWithReview(id, ctx: ctx, req: req, status: .created)
    }

    static func publish(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "review")
        _ = try await ReviewModeration.publish(reviewID: id, storeID: ctx.storeID, by: "api", storage: req.care.storage, on: req.db)
        return try await respondWithReview(id, ctx: ctx, req: req)
    }

    static func reject(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "review")
        let p = try JSONBody.decode(RejectPayload.self, from: req)
        _ = try await ReviewModeration.reject(reviewID: id, storeID: ctx.storeID, reason: p.reason, by: "api", storage: req.care.storage, on: req.db)
        return try await respondWithReview(id, ctx: ctx, req: req)
    }

    /// Answers with the review as it now stands, and drops the product's cached public list.
    private static func respondWithReview(_ id: UUID, ctx: StoreContext, req: Request, status: HTTPResponseStatus = .ok) async throws -> Response {
        let listed = try await ReviewQueries.one(reviewID: id, storeID: ctx.storeID, on: req.db)
        return try JSONBody.response(StoreReviewView(listed: listed), status: status)
    }
}

import CareCore
import Crypto
import Foundation
import Vapor

/// `GET /feeds/{slug}/google-product-reviews.xml`: the store's published reviews as Google's product
/// ratings feed, for Merchant Center to fetch on a schedule. Streamed page by page (a big store's feed
/// is never held whole); the ETag comes from a few counts read first, so a fetch of an unchanged feed
/// is a 304 without reading any review.
enum ProductReviewFeedController {
    static func feed(_ req: Request) async throws -> Response {
        let slug = try req.parameters.require("slug")
        // A slug no store can have is not looked up: PostgreSQL refuses text holding NUL (a 500).
        guard (try? StoreService.validateSlug(slug)) != nil, let store = try await StoreService.store(slug: slug, on: req.db),
            let storeID = store.id
        else { throw CareError.notFound("store") }
        let links = ProductReviewFeedXML.Links(publicURL: req.care.links.publicURL, slug: slug)
        let fingerprint = try await ProductReviewFeed.fingerprint(storeID: storeID, on: req.db)
        let tag = etag("\(storeID.uuidString)|\(store.name)|\(links.embedBase)|\(fingerprint.text)")
        // Weak: equal counts promise the same reviews, not the same bytes.
        var headers: HTTPHeaders = ["ETag": "W/\(tag)", "Cache-Control": PublicCaching.cacheControl, "Vary": "Accept-Encoding"]
        if PublicCaching.matches(req.headers[.ifNoneMatch], tag) {
            return Response(status: .notModified, headers: headers)
        }
        headers.add(name: .contentType, value: "application/xml; charset=utf-8")
        let db = req.db
        let logger = req.logger
        let publisher = store.name
        return Response(
            status: .ok, headers: headers,
            body: .init(managedAsyncStream: { writer in
                do {
                    try await ProductReviewFeedXML.stream(storeID: storeID, publisher: publisher, links: links, on: db) { chunk in
                        try await writer.write(.buffer(chunk))
                    }
                } catch {
                    // The status is already sent: the body is cut off, and the fetcher sees a broken feed.
                    logger.warning("product review feed of \(slug) stopped: \(error)")
                    throw error
                }
            }))
    }

    /// The version prefix changes every tag when the feed's layout changes.
    static func etag(_ basis: String) -> String {
        let digest = SHA256.hash(data: Data("google-feed-1|\(basis)".utf8))
        return "\"" + digest.prefix(18).map { String(format: "%02x", $0) }.joined() + "\""
    }
}

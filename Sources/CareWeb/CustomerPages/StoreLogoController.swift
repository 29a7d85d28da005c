import CareCore
import Vapor

/// A store's logo for its own mails (review requests show it at the top): a brand mark the store
/// chose to show its buyers, so it needs no link token. A store without one is 404.
enum StoreLogoController {
    static func show(_ req: Request) async throws -> Response {
        let slug = try req.parameters.require("slug")
        guard let store = try await StoreService.store(slug: slug, on: req.db),
            let (type, bytes) = try await StoreBrand.logo(storeID: try store.requireID(), on: req.db)
        else { throw CareError.notFound("logo") }
        let response = PhotoResponse.make(type: type, bytes: bytes)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=3600")
        return response
    }
}

import CareCore
import Vapor

/// `/confirm/{token}`: the owner of an address typed into the public form confirms which reviews are
/// theirs. Opening the link changes nothing (mail scanners open every link); the page shows every
/// review posted with that address and not yet confirmed, each with its words, and only a button's
/// POST confirms one.
enum ReviewConfirmationController {
    struct Page: Encodable {
        let title: String
        let message: String
        let pending: [Item]
        let hasPending: Bool
    }

    struct Item: Encodable {
        let claim: String
        let product: String
        let stars: String
        let rating: Int
        let title: String?
        let body: String?
        let written: String
    }

    static func show(_ req: Request) async throws -> Response {
        let token = try req.parameters.require("token")
        return try await render(req, token: token, notice: nil)
    }

    struct Form: Content { let claim: String? }

    static func confirm(_ req: Request) async throws -> Response {
        let token = try req.parameters.require("token")
        try FormParts.check(req)
        let chosen = (try? req.content.decode(Form.self))?.claim.flatMap(UUID.init(uuidString:))
        let outcome = try await ReviewClaims.confirm(token: token, chosen: chosen, links: req.care.links, storage: req.care.storage, on: req.db)
        return try await render(req, token: token, notice: "Thank you: that review is confirmed as yours.")
    }

    static func render(_ req: Request, token: String, notice: String?) async throws -> Response {
        let found = try await ReviewClaims.check(token: token, links: req.care.links, now: Date(), on: req.db)
        let items = found.pending.map {
            Item(
                claim: $0.claimID.uuidString, product: $0.productName, stars: String(repeating: "★", count: $0.rating), rating: $0.rating,
                title: $0.title, body: $0.body, written: ISODate.format($0.writtenAt).prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC")
        }
        let message =
            items.isEmpty
            ? (notice ?? "Every review posted with your address at \(found.storeName) is confirmed. Thank you.")
            : (notice.map { $0 + " " } ?? "") + "These reviews were posted at \(found.storeName) with your email address. "
                + "Confirm only the ones you wrote: confirming joins a review to your purchases and lets the shop answer you. "
                + "Reviews are published either way; if one is not yours, do nothing."
        let view = try await req.view.render(
            "customer-confirm", Page(title: "Confirm your review", message: message, pending: items, hasPending: !items.isEmpty))
        let response = try await view.encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

import CareCore
import Vapor

/// `/confirm/{token}`: the owner of an address typed into the public form confirms the review is
/// theirs. Opening the link changes nothing (mail scanners open every link); only the button's POST
/// confirms.
enum ReviewConfirmationController {
    struct Page: Encodable {
        let title: String
        let message: String
        let showButton: Bool
    }

    static func show(_ req: Request) async throws -> Response {
        let token = try req.parameters.require("token")
        let claim = try await ReviewClaims.check(token: token, links: req.care.links, now: Date(), on: req.db)
        let page = claim.confirmed
            ? Page(title: "Already confirmed", message: "Your review of \(claim.productName) at \(claim.storeName) is confirmed. Thank you.", showButton: false)
            : Page(title: "Confirm your review", message: "Did you write a review of \(claim.productName) at \(claim.storeName)? "
                   + "Confirming joins it to your purchases and lets the shop answer you. It is published either way.", showButton: true)
        return try await render(req, page)
    }

    static func confirm(_ req: Request) async throws -> Response {
        let token = try req.parameters.require("token")
        let outcome = try await ReviewClaims.confirm(token: token, links: req.care.links, storage: req.care.storage, on: req.db)
        if case .confirmed(_, let opened) = outcome, opened { req.care.outboxSignal.poke() }
        req.care.publicListCache.invalidateAll()
        return try await render(req, Page(title: "Thank you", message: "Your review is confirmed.", showButton: false))
    }

    static func render(_ req: Request, _ page: Page) async throws -> Response {
        let view = try await req.view.render("customer-confirm", page)
        let response = try await view.encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

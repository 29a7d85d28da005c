import CareCore
import Vapor

/// The store's suppression list: addresses whose mail bounced for good, with why, and clearing one.
enum SuppressionsController {
    /// `GET /api/v1/suppressions`: newest first, at most 500.
    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let list = try await MailBounces.suppressions(storeID: ctx.storeID, on: req.db)
        return try JSONBody.response(["suppressions": list.map(SuppressionView.init)])
    }

    /// `DELETE /api/v1/suppressions/{email}`: 204 when it was on the list; 404 when it was not (and
    /// anything that is not an address never is).
    static func clear(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        guard let email = try? EmailAddress(req.parameters.get("email") ?? "", field: "email").value,
            try await MailBounces.clear(storeID: ctx.storeID, email: email, storage: req.care.storage, on: req.db)
        else { throw CareError.notFound("suppression") }
        return Response(status: .noContent)
    }
}

struct SuppressionView: Encodable {
    let email: String
    let mail: String
    let status: String
    let diagnostic: String?
    let bouncedAt: Date

    init(_ b: MailBounces.Bounce) {
        email = b.email
        mail = b.mailKind
        status = b.status
        diagnostic = b.diagnostic
        bouncedAt = b.at
    }

    enum CodingKeys: String, CodingKey { case email, mail, status, diagnostic, bouncedAt = "bounced_at" }
}

import CareCore
import Fluent
import Vapor

/// Who is using the dashboard: known from the session cookie, checked on every request.
struct StaffContext: Sendable {
    let staff: StaffUser
    let store: Store
    let csrf: String
    var storeID: UUID { store.id! }
    var staffID: UUID { staff.id! }
    var isOwner: Bool { staff.role == .owner }
}

enum SessionCookie {
    static let name = "careloop_session"

    /// `HttpOnly; SameSite=Lax`, and `Secure` when CareLoop is reached over https.
    static func make(_ token: String, secure: Bool, maxAge: Int?) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: token, expires: nil, maxAge: maxAge, domain: nil, path: "/", isSecure: secure, isHTTPOnly: true,
            sameSite: .lax)
    }
}

/// Lets signed-in staff through; anyone else is sent to the sign-in page (and a form post refused).
struct StaffSessionAuth: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = request.cookies[SessionCookie.name]?.string,
            let session = try await StaffAuth.session(token: token, now: request.care.storage.now(), on: request.db)
        else {
            if request.method == .GET {
                let back = request.url.path + (request.url.query.map { "?\($0)" } ?? "")
                return request.redirect(
                    to: SitePath.login.href + "?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            }
            throw DashboardError(status: .unauthorized, message: "Your session has ended. Please sign in again.")
        }
        request.storage[Key.self] = StaffContext(staff: session.staff, store: session.store, csrf: session.csrf)
        let response = try await next.respond(to: request)
        // Staff pages hold customers' personal data: never cache them, never frame them.
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct Key: StorageKey { typealias Value = StaffContext }
}

/// Every form post carries the session's CSRF token (`_csrf`, or the `X-CSRF-Token` header for
/// script requests); a post without it is refused, so another site cannot act as a signed-in person.
struct CSRFCheck: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.method == .POST {
            try await FormToken.require(request, equalTo: try request.staff.csrf)
        }
        return try await next.respond(to: request)
    }
}

/// The one check behind every form's token, signed in or not.
enum FormToken {
    struct Form: Decodable { let _csrf: String? }

    /// The posted `_csrf` field (or the `X-CSRF-Token` header) must equal `expected`.
    static func require(_ request: Request, equalTo expected: String?) async throws {
        // Middleware runs before the route collects the body: collect it here, or a form that
        // arrives in more than one packet would look as if it had no token.
        // No more than any dashboard route takes (the app's default limit), so the check reads no more than the route would.
        // A route that takes an upload says how much (`Route.uploads`).
        let limit = request.route?.userInfo["careloop.upload-bytes"] as? Int ?? request.application.routes.defaultMaxBodySize.value
        _ = try await request.body.collect(max: limit).get()
        try FormParts.check(request)
        let given = request.headers.first(name: "X-CSRF-Token") ?? (try? request.content.decode(Form.self))?._csrf ?? ""
        guard let expected, Secrets.constantTimeEqual(given, expected) else {
            throw DashboardError(status: .forbidden, message: "This form has expired or did not come from CareLoop. Reload the page and try again.")
        }
    }
}

/// Settings, keys, webhooks and the team are the owner's: agents get a clear refusal.
struct OwnerOnly: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard try request.staff.isOwner else {
            throw DashboardError(status: .forbidden, message: "Only the store's owner can open settings.")
        }
        return try await next.respond(to: request)
    }
}

extension Request {
    var staff: StaffContext {
        get throws {
            guard let ctx = storage[StaffSessionAuth.Key.self] else { throw DashboardError(status: .unauthorized, message: "Please sign in.") }
            return ctx
        }
    }
}

/// An error a dashboard page shows as a page.
struct DashboardError: Error {
    let status: HTTPResponseStatus
    let message: String
}

extension Route {
    /// Lets the form-token check read a body this large (the route's own `collect` limit).
    @discardableResult
    func uploads(maxBytes: Int) -> Route {
        userInfo["careloop.upload-bytes"] = maxBytes
        return self
    }
}

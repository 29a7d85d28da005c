import CareCore
import Vapor

/// CSRF protection for the forms shown before anyone is signed in (sign-in, forgot password, set
/// password): the page sets a random cookie (HttpOnly, SameSite=Strict) and carries the same value
/// in the form; a post must bring both, which another site cannot. Without it, a foreign page could
/// sign a person into someone else's account.
enum PreSessionToken {
    static let cookie = "careloop_form"

    /// The token for this browser, made (and set on `response` later) when it has none.
    static func token(for req: Request) -> (value: String, isNew: Bool) {
        if let existing = req.cookies[cookie]?.string, existing.count >= 20, existing.count <= 64 { return (existing, false) }
        return (Secrets.randomToken(bytes: 24), true)
    }

    static func remember(_ token: (value: String, isNew: Bool), on response: Response, secure: Bool) {
        guard token.isNew else { return }
        response.cookies[cookie] = HTTPCookies.Value(
            string: token.value, expires: nil, maxAge: 24 * 3600, domain: nil, path: SitePath.root,
            isSecure: secure, isHTTPOnly: true, sameSite: .strict)
    }

    static func check(_ req: Request) async throws {
        try await FormToken.require(req, equalTo: req.cookies[cookie]?.string)
    }
}

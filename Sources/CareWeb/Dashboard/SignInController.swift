import CareCore
import Fluent
import Vapor

/// Signing in and out of the dashboard.
enum SignInController {
    struct LoginPage: Encodable {
        let email: String
        let next: String
        let error: String?
        var notice: String? = nil
        var csrf = ""
    }

    struct LoginForm: Content {
        let email: String?
        let password: String?
        let next: String?
    }

    static func show(_ req: Request) async throws -> Response {
        let notice = Notice.shown(req, among: Notice.onLogin)
        return try await page(req, LoginPage(email: "", next: safeNext(req.queryText("next")), error: nil, notice: notice), status: .ok)
    }

    static func signIn(_ req: Request) async throws -> Response {
        try await PreSessionToken.check(req)
        let form = try req.content.decode(LoginForm.self)
        let next = safeNext(form.next)
        let email = form.email ?? ""
        let (allowed, retryAfter) = await req.care.signInLimiter.take(req.clientAddress)
        guard allowed else {
            let r = try await page(
                req, LoginPage(email: email, next: next, error: "Too many sign-ins from here. Try again in \(retryAfter) seconds."),
                status: .tooManyRequests)
            r.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter))
            return r
        }
        do {
            let session = try await StaffAuth.signIn(
                email: email, password: form.password ?? "", hasher: req.care.hasher,
                storage: req.care.storage, on: req.db)
            let response = req.redirect(to: next, redirectType: .normal)
            response.cookies[SessionCookie.name] = SessionCookie.make(
                session.token, secure: req.care.config.publicURL.hasPrefix("https://"),
                maxAge: Int(StaffAuth.sessionLifetime))
            return response
        } catch let e as CareError {
            return try await page(req, LoginPage(email: email, next: next, error: e.message), status: e.kind.status)
        }
    }

    static func signOut(_ req: Request) async throws -> Response {
        if let token = req.cookies[SessionCookie.name]?.string {
            try await StaffAuth.signOut(token: token, storage: req.care.storage, on: req.db)
        }
        let response = req.redirect(to: SitePath.login.href, redirectType: .normal)
        response.cookies[SessionCookie.name] = SessionCookie.make("", secure: req.care.config.publicURL.hasPrefix("https://"), maxAge: 0)
        return response
    }

    static func page(_ req: Request, _ data: LoginPage, status: HTTPResponseStatus) async throws -> Response {
        let token = PreSessionToken.token(for: req)
        var data = data
        data.csrf = token.value
        let view = try await req.view.render("app-login", data)
        let response = DashboardPage.secure(try await view.encodeResponse(status: status, for: req))
        PreSessionToken.remember(token, on: response, secure: req.care.config.publicURL.hasPrefix("https://"))
        return response
    }

    /// Only a path inside the dashboard: never send a person elsewhere after signing in.
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix(SitePath.root + "/"), DashboardPage.isPlainPath(raw) else { return SitePath.inbox.href }
        return raw
    }
}

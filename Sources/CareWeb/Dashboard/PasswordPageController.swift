import CareCore
import Fluent
import Vapor

/// "Forgot your password?" and the page an emailed link opens to set one (also how an invited
/// teammate sets their first password).
enum PasswordPageController {
    struct Page: Encodable {
        let token: String?
        let sent: Bool
        let error: String?
        var csrf = ""
    }

    struct ForgotForm: Content { let email: String? }
    struct SetForm: Content {
        let password: String?
        let confirm: String?
    }

    static func forgot(_ req: Request) async throws -> Response {
        try await render(req, "app-password-forgot", Page(token: nil, sent: false, error: nil))
    }

    static func requestLink(_ req: Request) async throws -> Response {
        try await PreSessionToken.check(req)
        let (allowed, retryAfter) = await req.care.signInLimiter.take(req.clientAddress)
        guard allowed else {
            return try await render(
                req, "app-password-forgot", Page(token: nil, sent: false, error: "Too many tries from here. Try again in \(retryAfter) seconds."),
                status: .tooManyRequests)
        }
        let email = try req.content.decode(ForgotForm.self).email ?? ""
        try await StaffAuth.requestReset(
            email: email, links: req.care.passwordLinks, publicURL: req.care.links.publicURL,
            storage: req.care.storage, on: req.db)
        return try await render(req, "app-password-forgot", Page(token: nil, sent: true, error: nil))
    }

    static func show(_ req: Request) async throws -> Response {
        let token = try linkToken(req)
        guard try await req.care.passwordLinks.staff(for: token, now: req.care.storage.now(), on: req.db) != nil else {
            throw CareError.linkExpired(message: "This link has expired or was already used. Ask for a new one.")
        }
        return try await render(req, "app-password-set", Page(token: token, sent: false, error: nil))
    }

    static func set(_ req: Request) async throws -> Response {
        try await PreSessionToken.check(req)
        let token = try linkToken(req)
        let form = try req.content.decode(SetForm.self)
        guard let password = form.password, password == form.confirm else {
            return try await render(
                req, "app-password-set", Page(token: token, sent: false, error: "The two passwords are not the same."),
                status: .unprocessableEntity)
        }
        do {
            _ = try await StaffAuth.setPassword(
                password, token: token, links: req.care.passwordLinks, hasher: req.care.hasher,
                storage: req.care.storage, on: req.db)
        } catch let e as CareError where e.kind == .invalid {
            return try await render(req, "app-password-set", Page(token: token, sent: false, error: e.message), status: .unprocessableEntity)
        }
        return req.redirect(to: SitePath.login.href(notice: .passwordSet), redirectType: .normal)
    }

    private static func linkToken(_ req: Request) throws -> String {
        guard let token = req.parameters.get("token"), token.count <= 200 else { throw CareError.notFound("link") }
        return token
    }

    private static func render(_ req: Request, _ template: String, _ page: Page, status: HTTPResponseStatus = .ok) async throws -> Response {
        let formToken = PreSessionToken.token(for: req)
        var page = page
        page.csrf = formToken.value
        let view = try await req.view.render(template, page)
        let response = DashboardPage.secure(try await view.encodeResponse(status: status, for: req))
        PreSessionToken.remember(formToken, on: response, secure: req.care.config.publicURL.hasPrefix("https://"))
        // The address holds a credential: keep it out of other sites' logs.
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }
}

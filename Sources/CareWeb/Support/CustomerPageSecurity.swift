import Vapor

/// Headers on every customer page (the thread, its forms and its error pages): no script at all, no
/// framing by another site (a framed page could be used to trick a click), and the page address,
/// which is a credential, kept out of other sites' logs.
struct CustomerPageSecurity: AsyncMiddleware {
    // The pages carry their own small stylesheet inline; their only script is CareLoop's own
    // (local times, photo checks), and they work without it.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; script-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        // A photo or logo keeps its own, stricter policy (sandboxed).
        if !response.headers.contains(name: "Content-Security-Policy") {
            response.headers.replaceOrAdd(name: "Content-Security-Policy", value: Self.contentSecurityPolicy)
        }
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }
}

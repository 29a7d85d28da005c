import Vapor

/// A path CareLoop serves, asked with a method it does not (`PUT /api/v1/triggers`), is `405 Method
/// Not Allowed` with `Allow` listing the methods it does, not a 404 that says the path is unknown.
struct MethodNotAllowed: AsyncMiddleware {
    let routes: Routes

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let error as any AbortError where error.status == .notFound && request.route == nil {
            let segments = request.url.path.split(separator: "/").map(String.init)
            let allowed = Set(
                routes.all.filter { route in
                    route.path.count == segments.count
                        && zip(route.path, segments).allSatisfy { component, segment in
                            if case .constant(let c) = component { return c == segment }
                            return true
                        }
                }.map(\.method.rawValue))
            guard !allowed.isEmpty else { throw error }
            throw Abort(.methodNotAllowed, headers: ["Allow": allowed.sorted().joined(separator: ", ")])
        }
    }
}

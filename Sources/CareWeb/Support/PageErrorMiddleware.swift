import CareCore
import Vapor

/// Pages a customer opens in a browser answer errors with a short HTML page, not the API's JSON,
/// with the same status code and message.
struct PageErrorMiddleware: AsyncMiddleware {
    struct Context: Encodable {
        let title: String
        let message: String
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // Taken now: a request still in flight when the application stops must not reach for views
        // the stopped application no longer has (that is a crash, not an error).
        let views = request.view
        do {
            return try await next.respond(to: request)
        } catch let error as CareError {
            let status = error.kind.status
            let title =
                switch error.kind {
                case .gone where error.code == "sample_request": "A test review request"
                case .gone: "This link has expired"
                case .notFound: "This page does not exist"
                default: "That did not work"
                }
            let message = error.kind == .notFound ? "The link may be incomplete. Please use the link from the shop's latest email." : error.message
            let view = try await views.render("customer-error", Context(title: title, message: message))
            let response = try await view.encodeResponse(status: status, for: request)
            response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
            return response
        }
    }
}

import CareCore
import Vapor

/// Errors on pages a person opens in a browser answer as a short HTML page with the error's status
/// and message, never the API's JSON and never a 500 for bad input. Customer pages and the
/// dashboard differ only in their template and wording.
struct PageErrorMiddleware: AsyncMiddleware {
    enum Audience {
        /// A shopper following a link from the shop's mail: no hint of staff pages, no referrer.
        case customer
        /// Staff on the dashboard: a refused form, a missing conversation, a field that was wrong.
        case staff
    }

    struct Context: Encodable {
        let title: String
        let message: String
    }

    let audience: Audience

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // Taken now: a request still in flight when the application stops must not reach for views
        // the stopped application no longer has (that is a crash, not an error).
        let views = request.view
        do {
            return try await next.respond(to: request)
        } catch let error as DashboardError where audience == .staff {
            return try await page(error.status, wording(error.status, error.message), views: views, for: request)
        } catch let error as CareError {
            let status = error.kind.status
            let context = audience == .customer ? customerWording(error) : wording(status, error.message)
            return try await page(status, context, views: views, for: request)
        }
    }

    private func customerWording(_ error: CareError) -> Context {
        let title =
            switch error.kind {
            case .gone where error.code == CareError.sampleRequestCode: "A test review request"
            case .gone: "This link has expired"
            case .notFound: "This page does not exist"
            default: "That did not work"
            }
        let message =
            error.kind == .notFound
            ? "The link may be incomplete. Please use the link from the shop's latest email." : error.message
        return Context(title: title, message: message)
    }

    private func wording(_ status: HTTPResponseStatus, _ message: String) -> Context {
        let title =
            switch status {
            case .notFound: "Not found"
            case .forbidden: "Not allowed"
            case .unauthorized: "Please sign in"
            default: "That did not work"
            }
        return Context(title: title, message: message)
    }

    private func page(_ status: HTTPResponseStatus, _ context: Context, views: any ViewRenderer, for request: Request)
        async throws -> Response
    {
        switch audience {
        case .customer:
            let view = try await views.render("customer-error", context)
            let response = try await view.encodeResponse(status: status, for: request)
            response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
            return response
        case .staff:
            let view = try await views.render("app-error", context)
            return DashboardPage.secure(try await view.encodeResponse(status: status, for: request))
        }
    }
}

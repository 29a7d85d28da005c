import CareCore
import Vapor

/// Turns every error into the JSON error shape with the right status. Anything unexpected is logged
/// in full and answered with a bare 500 that leaks nothing.
struct CareErrorMiddleware: AsyncMiddleware {
    let environment: Environment

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return response(for: error, request: request)
        }
    }

    func response(for error: any Error, request: Request) -> Response {
        let status: HTTPResponseStatus
        let detail: ErrorBody.Detail
        var headers = HTTPHeaders()
        switch error {
        case let care as CareError:
            status = care.kind.status
            detail = .init(code: care.code, message: care.message, field: care.field)
            if let seconds = care.retryAfter { headers.replaceOrAdd(name: "Retry-After", value: String(seconds)) }
        case let decoding as DecodingError:
            let care = JSONBody.describe(decoding)
            status = care.kind.status
            detail = .init(code: care.code, message: care.message, field: care.field)
        case let abort as any AbortError:
            status = abort.status
            headers = abort.headers
            detail = .init(code: Self.code(for: abort.status), message: Self.message(for: abort), field: nil)
        case _ where DatabaseOutage.matches(error):
            request.logger.warning(
                "\(request.method) \(Self.loggedPath(request.url.path)) -> 503, the database is unavailable: \(String(reflecting: error))")
            status = .serviceUnavailable
            headers.replaceOrAdd(name: "Retry-After", value: "5")
            detail = .init(code: "unavailable", message: "the database is unavailable for the moment; try again in a few seconds", field: nil)
        default:
            request.logger.report(error: error)
            status = .internalServerError
            detail = .init(code: "internal", message: "something went wrong on our side; it has been logged", field: nil)
        }
        if status.code >= 500 && status != .serviceUnavailable {
            request.logger.error("\(request.method) \(Self.loggedPath(request.url.path)) -> \(status.code): \(String(reflecting: error))")
        }
        let body = (try? JSONBody.data(ErrorBody(error: detail))) ?? Data()
        headers.replaceOrAdd(name: .contentType, value: "application/json; charset=utf-8")
        return Response(status: status, headers: headers, body: .init(data: body))
    }

    static func code(for status: HTTPResponseStatus) -> String {
        switch status {
        case .notFound: "not_found"
        case .payloadTooLarge: "body_too_large"
        case .unauthorized: "unauthorized"
        case .methodNotAllowed: "method_not_allowed"
        case .unsupportedMediaType: "unsupported_media_type"
        case .tooManyRequests: "rate_limited"
        case .badRequest: "bad_request"
        default: status.code >= 500 ? "internal" : "request_error"
        }
    }

    static func message(for abort: any AbortError) -> String {
        switch abort.status {
        case .payloadTooLarge: "the request body is larger than this address takes (64 KiB for most; see docs/api.md)"
        case .notFound: abort.reason == "Not Found" ? "no such route" : abort.reason
        default: abort.reason
        }
    }

    /// A path as logs may show it: a shop connection's delivery URL carries its key, which is a credential.
    static func loggedPath(_ path: String) -> String {
        guard path.hasPrefix("/connect/") else { return path }
        return path.split(separator: "/").prefix(2).map { "/" + $0 }.joined() + "/…"
    }
}

import CareCore
import Vapor

/// `{"error": {"code", "message", "field"?}}`: the one shape of every 4xx and 5xx answer.
struct ErrorBody: Content {
    struct Detail: Content {
        let code: String
        let message: String
        let field: String?
    }
    let error: Detail
}

extension CareError.Kind {
    var status: HTTPResponseStatus {
        switch self {
        case .invalid: .unprocessableEntity
        case .malformed: .badRequest
        case .notFound: .notFound
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .conflict: .conflict
        case .rateLimited: .tooManyRequests
        case .gone: .gone
        case .payloadTooLarge: .payloadTooLarge
        case .lengthRequired: .lengthRequired
        }
    }
}

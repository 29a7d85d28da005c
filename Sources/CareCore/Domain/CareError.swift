/// An error the domain can explain to whoever asked: a bad field, a missing thing, a refused key.
/// The web layer maps `kind` to an HTTP status; the message is safe to show to the caller.
public struct CareError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case invalid // 422: the request was understood but a field is wrong
        case malformed // 400: the request could not be read at all
        case notFound // 404: absent, or belongs to another store (never say which)
        case unauthorized // 401
        case forbidden // 403: authenticated but not allowed (never used for another store's data)
        case conflict // 409
        case rateLimited // 429
        case gone // 410: it existed, and is no longer available (an expired link)
        case payloadTooLarge // 413: refused for its size, before or while it was read
        case lengthRequired // 411: a body that must say its length did not
    }

    public var kind: Kind
    public var code: String
    public var message: String
    /// The request field at fault, in the caller's own spelling (`product.external_id`).
    public var field: String?
    /// For a refusal that passes (busy, rate-limited): when to try again, in seconds (`Retry-After`).
    public var retryAfter: Int?

    // Internal: every code is a named constructor (CareErrorCodes.swift), so none is spelled twice.
    init(_ kind: Kind, code: String, message: String, field: String? = nil, retryAfter: Int? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }

    public static func invalid(_ field: String, _ message: String) -> CareError {
        CareError(.invalid, code: "invalid_field", message: "\(field): \(message)", field: field)
    }

    public static func missing(_ field: String) -> CareError {
        CareError(.invalid, code: "missing_field", message: "\(field): is required", field: field)
    }

    public static func notFound(_ what: String) -> CareError {
        CareError(.notFound, code: "not_found", message: "\(what) not found")
    }
}

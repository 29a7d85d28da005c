/// Every error code CareLoop answers with, each spelled once: call sites name the constructor, so a
/// code cannot be mistyped or given two meanings (clients match on these codes; docs/api.md lists them).
extension CareError {
    // 400
    public static func emptyBody(message: String) -> CareError {
        CareError(.malformed, code: "empty_body", message: message)
    }
    public static func malformedDelivery(message: String) -> CareError {
        CareError(.malformed, code: "malformed_delivery", message: message)
    }
    public static func malformedJSON(message: String) -> CareError {
        CareError(.malformed, code: "malformed_json", message: message)
    }
    public static func unsupportedMediaType(message: String) -> CareError {
        CareError(.malformed, code: "unsupported_media_type", message: message)
    }

    // 401
    public static func invalidAPIKey(message: String) -> CareError {
        CareError(.unauthorized, code: "invalid_api_key", message: message)
    }
    public static func invalidInboundSecret(message: String) -> CareError {
        CareError(.unauthorized, code: "invalid_inbound_secret", message: message)
    }
    public static func invalidSignature(message: String) -> CareError {
        CareError(.unauthorized, code: "invalid_signature", message: message)
    }
    public static func metricsToken(message: String) -> CareError {
        CareError(.unauthorized, code: "metrics_token", message: message)
    }
    public static func missingAPIKey(message: String) -> CareError {
        CareError(.unauthorized, code: "missing_api_key", message: message)
    }
    public static func missingInboundSecret(message: String) -> CareError {
        CareError(.unauthorized, code: "missing_inbound_secret", message: message)
    }
    public static func missingSignature(message: String) -> CareError {
        CareError(.unauthorized, code: "missing_signature", message: message)
    }
    public static func wrongCredentials(message: String) -> CareError {
        CareError(.unauthorized, code: "wrong_credentials", message: message)
    }

    // 403
    public static func connectionPaused(message: String) -> CareError {
        CareError(.forbidden, code: "connection_paused", message: message)
    }

    // 409
    public static func alreadyErased(message: String) -> CareError {
        CareError(.conflict, code: "already_erased", message: message)
    }
    public static func alreadyReviewed(message: String) -> CareError {
        CareError(.conflict, code: "already_reviewed", message: message)
    }
    public static func customerRace(message: String) -> CareError {
        CareError(.conflict, code: "customer_race", message: message)
    }
    public static func domainTaken(message: String, field: String? = nil) -> CareError {
        CareError(.conflict, code: "domain_taken", message: message, field: field)
    }
    public static func emailTaken(message: String, field: String? = nil) -> CareError {
        CareError(.conflict, code: "email_taken", message: message, field: field)
    }
    public static func exists(message: String) -> CareError {
        CareError(.conflict, code: "exists", message: message)
    }
    public static func movedOn(message: String) -> CareError {
        CareError(.conflict, code: "moved_on", message: message)
    }
    public static func notDead(message: String) -> CareError {
        CareError(.conflict, code: "not_dead", message: message)
    }
    public static func orderCustomerMismatch(message: String, field: String? = nil) -> CareError {
        CareError(.conflict, code: "order_customer_mismatch", message: message, field: field)
    }
    public static func orderErased(message: String, field: String? = nil) -> CareError {
        CareError(.conflict, code: "order_erased", message: message, field: field)
    }
    public static func postgresBackup(message: String) -> CareError {
        CareError(.conflict, code: "postgres_backup", message: message)
    }
    public static func recordNotPublished(message: String) -> CareError {
        CareError(.conflict, code: "record_not_published", message: message)
    }
    public static func reviewRejected(message: String) -> CareError {
        CareError(.conflict, code: "review_rejected", message: message)
    }
    public static func senderChanged(message: String) -> CareError {
        CareError(.conflict, code: "sender_changed", message: message)
    }
    public static func slugTaken(message: String, field: String? = nil) -> CareError {
        CareError(.conflict, code: "slug_taken", message: message, field: field)
    }
    public static func tooLate(message: String) -> CareError {
        CareError(.conflict, code: "too_late", message: message)
    }
    public static func tooManyConnections(message: String) -> CareError {
        CareError(.conflict, code: "too_many_connections", message: message)
    }
    public static func tooManyPatterns(message: String) -> CareError {
        CareError(.conflict, code: "too_many_patterns", message: message)
    }
    public static func tooManySavedReplies(message: String) -> CareError {
        CareError(.conflict, code: "too_many_saved_replies", message: message)
    }
    public static func tooManyTriggers(message: String) -> CareError {
        CareError(.conflict, code: "too_many_triggers", message: message)
    }
    public static func tooManyWebhooks(message: String) -> CareError {
        CareError(.conflict, code: "too_many_webhooks", message: message)
    }

    // 410
    public static func linkExpired(message: String) -> CareError {
        CareError(.gone, code: "link_expired", message: message)
    }
    public static func sampleRequest(message: String) -> CareError {
        CareError(.gone, code: sampleRequestCode, message: message)
    }
    /// Pages tell a sample request's link ("a test") from an expired one by this code.
    public static let sampleRequestCode = "sample_request"

    // 413
    public static func deliveryTooLarge(message: String) -> CareError {
        CareError(.payloadTooLarge, code: "delivery_too_large", message: message)
    }
    public static func mailHeadersTooLarge(message: String) -> CareError {
        CareError(.payloadTooLarge, code: "mail_headers_too_large", message: message)
    }
    public static func mailTooLarge(message: String) -> CareError {
        CareError(.payloadTooLarge, code: "mail_too_large", message: message)
    }

    // 411
    public static func lengthRequired(message: String) -> CareError {
        CareError(.lengthRequired, code: "length_required", message: message)
    }

    // 429
    public static func busy(message: String, retryAfter: Int? = nil) -> CareError {
        CareError(.rateLimited, code: "busy", message: message, retryAfter: retryAfter)
    }
    public static func locked(message: String) -> CareError {
        CareError(.rateLimited, code: "locked", message: message)
    }
}

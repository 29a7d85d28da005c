import CareCore
import Vapor

/// Records the changes worth accounting for in the store's audit log, in one place: after a route in
/// `actions` succeeds, who did it (the signed-in person, or the API key by its first characters), what,
/// and to which id. Reading the log is a Settings section; nothing edits it.
struct AuditTrail: AsyncMiddleware {
    /// "METHOD route" → the action recorded.
    static let actions: [String: String] = [
        "POST api/v1/triggers": "trigger.created",
        "PATCH api/v1/triggers/:id": "trigger.changed",
        "DELETE api/v1/triggers/:id": "trigger.deleted",
        "POST api/v1/webhooks": "webhook.added",
        "DELETE api/v1/webhooks/:id": "webhook.deleted",
        "PATCH api/v1/settings/care": "settings.changed",
        "POST api/v1/reviews/:id/publish": "review.published",
        "POST api/v1/reviews/:id/reject": "review.rejected",
        "POST api/v1/outbox/:id/retry": "delivery.retried",
        "GET api/v1/customers/:id/export": "customer.exported",
        "DELETE api/v1/customers/:id": "customer.erased",
        "POST app/triggers": "trigger.created",
        "POST app/triggers/import": "trigger.imported",
        "POST app/triggers/:id": "trigger.changed",
        "POST app/triggers/:id/json": "trigger.changed",
        "POST app/triggers/:id/enabled": "trigger.switched",
        "POST app/triggers/:id/delete": "trigger.deleted",
        "POST app/settings/care": "settings.changed",
        "POST app/settings/profile": "settings.changed",
        "POST app/settings/team": "team.invited",
        "POST app/settings/saved-replies": "saved_reply.added",
        "POST app/settings/saved-replies/:id/delete": "saved_reply.deleted",
        "POST app/settings/keys": "api_key.created",
        "POST app/settings/keys/:id/revoke": "api_key.revoked",
        "POST app/settings/webhooks": "webhook.added",
        "POST app/settings/webhooks/:id/delete": "webhook.deleted",
        "POST app/settings/deliveries/:id/retry": "delivery.retried",
        "POST app/reviews/:id/publish": "review.published",
        "POST app/reviews/:id/reject": "review.rejected",
        "GET app/customers/:id/export": "customer.exported",
        "POST app/customers/:id/erase": "customer.erased",
        "DELETE api/v1/suppressions/:email": "suppression.cleared",
        "POST app/settings/suppressions/clear": "suppression.cleared",
        "POST app/settings/sender": "sender.changed",
    ]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        guard response.status.code < 400, let path = request.route?.path.map(\.description).joined(separator: "/"),
            let action = Self.actions["\(request.method.rawValue) \(path)"],
            let (storeID, actor) = Self.who(request)
        else { return response }
        try await AuditLog.record(
            storeID: storeID, actor: actor, action: action, subject: request.parameters.get("id") ?? request.parameters.get("email"),
            storage: request.care.storage, on: request.db)
        return response
    }

    static func who(_ request: Request) -> (UUID, String)? {
        if let staff = try? request.staff { return (staff.storeID, "\(staff.staff.name) <\(staff.staff.email)>") }
        if let ctx = try? request.storeContext, let key = request.headers.bearerAuthorization?.token {
            return (ctx.storeID, "API key \(key.prefix(10))…")
        }
        return nil
    }
}

import CareCore
import Vapor

/// A customer's data for the store's API: everything stored about them, erasure, and the store's
/// audit log (which records both).
enum CustomersController {
    /// `GET /api/v1/customers/{id}/export`: everything stored about the customer, as JSON.
    static func export(_ req: Request) async throws -> Response {
        try await exportResponse(req, storeID: try req.storeContext.storeID, download: false)
    }

    /// The export as a JSON response, never cached; as a file download for the dashboard.
    static func exportResponse(_ req: Request, storeID: UUID, download: Bool) async throws -> Response {
        let id = try req.uuidParameter("id", what: "customer")
        let data = try await CustomerPrivacy.export(customerID: id, storeID: storeID, now: Date(), on: req.db)
        let response = try JSONBody.response(data)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        if download {
            response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"customer-\(id.uuidString.lowercased()).json\"")
        }
        return response
    }

    /// `DELETE /api/v1/customers/{id}`: erases the customer; their ratings stay, anonymously.
    static func erase(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "customer")
        let kept = try await CustomerPrivacy.erase(customerID: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return try JSONBody.response(["erased": JSONNode.string(id.uuidString), "reviews_kept_anonymously": .number(Double(kept))])
    }

    /// `GET /api/v1/audit?limit=`: the store's audit log, newest first.
    static func audit(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let limit = try req.intQuery("limit") ?? 100
        guard (1...500).contains(limit) else { throw CareError.invalid("limit", "must be from 1 to 500") }
        let events = try await AuditLog.latest(storeID: ctx.storeID, limit: limit, on: req.db)
        return try JSONBody.response([
            "events": JSONNode.array(
                events.map {
                    .object([
                        "at": .string(ISODate.format($0.at)), "actor": .string($0.actor), "action": .string($0.action),
                        "subject": $0.subject.map(JSONNode.string) ?? .null, "detail": $0.detail.map(JSONNode.string) ?? .null,
                    ])
                })
        ])
    }
}

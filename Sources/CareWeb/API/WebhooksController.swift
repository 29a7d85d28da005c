import CareCore
import Vapor

/// The store's webhook endpoints. Deliveries show in the outbox (`GET /api/v1/outbox?kind=webhook`).
enum WebhooksController {
    static func create(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let p = try JSONBody.decode(WebhookPayload.self, from: req)
        let endpoint = try await Webhooks.create(
            url: p.url, events: p.events, allowPrivate: req.care.config.allowPrivateWebhooks, storeID: ctx.storeID, storage: req.care.storage,
            on: req.db)
        return try JSONBody.response(WebhookView(endpoint: endpoint, showSecret: true), status: .created)
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let endpoints = try await Webhooks.list(storeID: ctx.storeID, on: req.db)
        return try JSONBody.response(["webhooks": endpoints.map { WebhookView(endpoint: $0) }])
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "webhook")
        try await Webhooks.delete(id: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return Response(status: .noContent)
    }

    /// Queues a `webhook.test` event for the endpoint.
    static func test(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "webhook")
        try await Webhooks.sendTest(id: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return try JSONBody.response(["queued": true], status: .accepted)
    }
}

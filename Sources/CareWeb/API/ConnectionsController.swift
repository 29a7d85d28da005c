import CareCore
import Vapor

/// The store's shop connections (`/api/v1/connections`).
enum ConnectionsController: APIResource {
    static func create(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let p = try JSONBody.decode(ConnectionPayload.self, from: req)
        guard let platform = p.platform else { throw CareError.missing("platform") }
        guard let domain = p.shopDomain else { throw CareError.missing("shop_domain") }
        guard let secret = p.secret else { throw CareError.missing("secret") }
        let c = try await ShopConnections.create(
            platform: platform, shopDomain: domain, secret: secret, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        var view = ConnectionView(connection: c, webhookURL: webhookURL(c, req))
        view.showSecret = true
        return try JSONBody.response(view, status: .created)
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let all = try await ShopConnections.list(storeID: ctx.storeID, on: req.db)
        return try JSONBody.response(["connections": all.map { ConnectionView(connection: $0, webhookURL: webhookURL($0, req)) }])
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let c = try await ShopConnections.find(try req.uuidParameter("id", what: "connection"), storeID: ctx.storeID, on: req.db)
        return try JSONBody.response(ConnectionView(connection: c, webhookURL: webhookURL(c, req)))
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "connection")
        let p = try JSONBody.decode(ConnectionPayload.self, from: req)
        guard let paused = p.paused else { throw CareError.missing("paused") }
        let c = try await ShopConnections.setPaused(paused, id: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return try JSONBody.response(ConnectionView(connection: c, webhookURL: webhookURL(c, req)))
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        try await ShopConnections.delete(try req.uuidParameter("id", what: "connection"), storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return Response(status: .noContent)
    }

    /// Where the shop posts: one URL per connection, with its unguessable key (the signature is still what proves a body).
    static func webhookURL(_ c: ShopConnection, _ req: Request) -> String {
        "\(req.care.links.publicURL)/connect/\(c.platformName)/\(c.urlKey)"
    }
}

import CareCore
import Fluent
import Vapor

/// The store a request acts for, known from its API key.
struct StoreContext: Sendable {
    let store: Store
    var storeID: UUID { store.id! }
}

/// `Authorization: Bearer clk_…`. A missing, unknown or revoked key is a 401 that says which of
/// missing or wrong, and nothing about any store.
struct APIKeyAuth: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let bearer = request.headers.bearerAuthorization else {
            throw CareError.missingAPIKey(message: "send your API key as 'Authorization: Bearer <key>'")
        }
        let cache = request.care.apiKeyCache
        let hash = Secrets.sha256Hex(bearer.token)
        let store: Store
        if let known = cache.store(forKeyHash: hash) {
            store = known
        } else {
            guard let found = try await StoreService.store(forAPIKey: bearer.token, on: request.db) else {
                throw CareError.invalidAPIKey(message: "this API key is not valid (unknown or revoked)")
            }
            cache.remember(found, forKeyHash: hash)
            store = found
        }
        request.storage[Key.self] = StoreContext(store: store)
        return try await next.respond(to: request)
    }

    struct Key: StorageKey { typealias Value = StoreContext }
}

extension Request {
    /// The authenticated store. Only routes behind `APIKeyAuth` may ask.
    var storeContext: StoreContext {
        get throws {
            guard let c = storage[APIKeyAuth.Key.self] else {
                throw CareError.missingAPIKey(message: "this route needs an API key")
            }
            return c
        }
    }

    /// The client's address for rate limiting: the peer, or, behind a trusted proxy, the address the
    /// proxy added to X-Forwarded-For: the last one. Everything before it was written by the client
    /// (HAProxy's `option forwardfor` adds a header line after the client's own; nginx's
    /// `$proxy_add_x_forwarded_for` appends to it), so the first value is whatever a client wants.
    var clientAddress: String {
        if care.config.trustForwardedFor,
            let forwarded = headers[canonicalForm: "X-Forwarded-For"].last?.trimmingCharacters(in: .whitespaces), !forwarded.isEmpty
        {
            return String(forwarded.prefix(64))
        }
        // Through the connection gate the peer is the gate's relay: ask the gate whom it carries.
        if let gate = application.connectionGate, ConnectionGate.isRelay(remoteAddress), let port = remoteAddress?.port,
            let client = gate.counts.client(relayPort: port)
        {
            return client
        }
        return remoteAddress?.ipAddress ?? "unknown"
    }
}

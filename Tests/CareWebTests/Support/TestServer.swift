import CareCore
import Foundation
import Vapor
import XCTest

@testable import CareWeb

/// The databases every API test runs against. PostgreSQL joins when `CARELOOP_TEST_POSTGRES_URL`
/// names a server (scripts/test starts one); under CI its absence is a failure, not a skip.
enum TestBackend: String, CaseIterable {
    case sqlite, postgres

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["CARELOOP_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A real CareLoop server on a free loopback port, with its own SQLite file or the shared test
/// PostgreSQL database, reached over real HTTP.
final class TestServer: @unchecked Sendable {
    let app: Application
    let backend: TestBackend
    let baseURL: String
    let sqlitePath: String?

    private init(app: Application, backend: TestBackend, baseURL: String, sqlitePath: String?) {
        self.app = app
        self.backend = backend
        self.baseURL = baseURL
        self.sqlitePath = sqlitePath
    }

    static func start(_ backend: TestBackend, tweak: (inout CareConfig) -> Void = { _ in }) async throws -> TestServer {
        var config = CareConfig()
        var sqlitePath: String?
        switch backend {
        case .sqlite:
            let path = NSTemporaryDirectory() + "careloop-test-\(UUID().uuidString).sqlite"
            sqlitePath = path
            config.database = .sqlite(path: path)
        case .postgres:
            guard let url = TestBackend.postgresURL else { throw XCTSkip("no PostgreSQL") }
            config.database = .postgres(url: url)
        }
        config.host = "127.0.0.1"
        config.port = 0
        config.bcryptCost = 4
        // The tests' webhook receivers listen on loopback; the SSRF tests turn this off again.
        config.allowPrivateWebhooks = true
        // Mails go at once unless a test is about the undo window.
        config.undoSeconds = 0
        tweak(&config)
        let app = try await buildApplication(config: config, environment: .testing)
        app.logger.logLevel = .warning
        // Tests look at redirects themselves.
        app.http.client.configuration.redirectConfiguration = .disallow
        do {
            try await app.asyncBoot() // lifecycle handlers (the outbox worker) start here, as under `serve`
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        guard let port = app.listeningAddress?.port else { throw XCTSkip("server has no port") }
        return TestServer(app: app, backend: backend, baseURL: "http://127.0.0.1:\(port)", sqlitePath: sqlitePath)
    }

    func stop() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
        if let sqlitePath {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sqlitePath + suffix) }
        }
    }

    /// A new store with a unique slug; returns the store, its API key and owner.
    func makeStore(_ label: String = "shop") async throws -> (store: Store, key: String) {
        let slug = "\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        let created = try await StoreService.createStore(
            name: "Test \(label)", slug: slug, ownerEmail: "\(slug)@owner.test", ownerPassword: "correct horse",
            hasher: app.care.hasher, storage: app.care.storage, on: app.db)
        return (created.store, created.apiKey)
    }

    /// `total` of the store's review list.
    func reviewTotal(key: String) async throws -> Int? {
        try await send(.GET, "/api/v1/reviews", key: key).json["total"] as? Int
    }

    /// `summary` of a product's public review list.
    /// A product's public rating summary, typed (`#/components/schemas/Summary`).
    func publicSummary(_ slug: String, _ product: String) async throws -> API.Summary {
        try await send(.GET, "/api/v1/public/stores/\(slug)/products/\(product)/reviews").decoded(API.PublicReviewList.self).summary
    }

    struct Reply {
        let status: HTTPStatus
        let headers: HTTPHeaders
        let body: Data

        /// The body as a JSON object (fails the test when it is not one).
        var json: [String: Any] {
            get throws {
                let value = try JSONSerialization.jsonObject(with: body)
                guard let dict = value as? [String: Any] else {
                    throw TestFailure("expected a JSON object, got \(String(decoding: body, as: UTF8.self))")
                }
                return dict
            }
        }

        /// `error.code` of a JSON error body.
        var errorCode: String? { (try? json)?["error"].flatMap { ($0 as? [String: Any])?["code"] as? String } }
        var errorMessage: String? { (try? json)?["error"].flatMap { ($0 as? [String: Any])?["message"] as? String } }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends a request over the loopback network. `json` is serialised with JSONSerialization;
    /// `raw` is sent byte for byte (for malformed bodies).
    func send(
        _ method: HTTPMethod, _ path: String, key: String? = nil, json: Any? = nil, raw: Data? = nil,
        contentType: String? = "application/json", headers extra: [String: String] = [:]
    ) async throws -> Reply {
        var headers = HTTPHeaders()
        if let key { headers.add(name: .authorization, value: "Bearer \(key)") }
        for (k, v) in extra { headers.add(name: k, value: v) }
        var body: Data?
        if let json { body = try JSONSerialization.data(withJSONObject: json) }
        if let raw { body = raw }
        if body != nil, let contentType { headers.replaceOrAdd(name: .contentType, value: contentType) }
        let response = try await app.client.send(method, headers: headers, to: URI(string: baseURL + path)) { req in
            if let body { req.body = ByteBuffer(data: body) }
        }
        let data = response.body.map { Data(buffer: $0) } ?? Data()
        return Reply(status: response.status, headers: response.headers, body: data)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

extension XCTestCase {
    /// Runs `body` once per database backend, each on a fresh server.
    func onEachBackend(
        tweak: @escaping (inout CareConfig) -> Void = { _ in },
        _ body: (TestServer) async throws -> Void
    ) async throws {
        var backends: [TestBackend] = [.sqlite]
        if TestBackend.postgresURL != nil {
            backends.append(.postgres)
        } else if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail("CI must run the API tests on PostgreSQL too: set CARELOOP_TEST_POSTGRES_URL (scripts/test does)")
        }
        for backend in backends {
            let server = try await TestServer.start(backend, tweak: tweak)
            do {
                try await body(server)
            } catch {
                await server.stop()
                XCTFail("[\(backend)] \(error)")
                continue
            }
            await server.stop()
        }
    }
}

/// A review body with sensible defaults, for tests that care about one field.
func reviewJSON(
    product: String = "sku-1", productName: String = "Thing", email: String = "buyer@example.com",
    name: String? = "Bea Buyer", rating: Any = 5, title: String? = nil, body: String? = nil,
    order: String? = nil
) -> [String: Any] {
    var customer: [String: Any] = ["email": email]
    if let name { customer["name"] = name }
    var json: [String: Any] = ["product": ["external_id": product, "name": productName], "customer": customer, "rating": rating]
    if let title { json["title"] = title }
    if let body { json["body"] = body }
    if let order { json["order_external_id"] = order }
    return json
}

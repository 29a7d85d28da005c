import Foundation
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Two real `careloop serve` processes on one PostgreSQL database: what one node caches (a store's
/// triggers and webhook endpoints) follows a change made on the other within the documented
/// staleness, `CARELOOP_RULES_CACHE_SECONDS`.
final class TwoProcessCacheTests: XCTestCase {
    static let staleness = 2.0

    func testATriggerSwitchedOffAndAWebhookAddedOnOneNodeReachTheOtherWithinTheStaleness() async throws {
        let hooks = WebhookReceiver()
        try hooks.start()
        defer { hooks.stop() }
        let workdir = NSTemporaryDirectory() + "careloop-two-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: workdir) }

        try await withEmptyPostgresDatabase { url in
            // setup: a migrated database, a store, node A and node B
            let env = [
                "CARELOOP_DATABASE_URL": url, "CARELOOP_ALLOW_PRIVATE_WEBHOOKS": "1",
                "CARELOOP_RULES_CACHE_SECONDS": String(Self.staleness),
            ]
            XCTAssertEqual(try CareloopProcess.run(["migrate"], env: env, cwd: workdir).status, 0)
            let key = try CareloopProcess.createStore(slug: "two", env: env, cwd: workdir)
            let a = NodeClient(port: CareloopProcess.freePort(), key: key)
            let b = NodeClient(port: CareloopProcess.freePort(), key: key)
            let nodeA = try await CareloopProcess.serve(port: a.port, env: env, cwd: workdir)
            defer {
                nodeA.terminate()
                nodeA.waitUntilExit()
            }
            let nodeB = try await CareloopProcess.serve(port: b.port, env: env, cwd: workdir)
            defer {
                nodeB.terminate()
                nodeB.waitUntilExit()
            }

            // B fires the low-rating trigger, and has now cached the store's triggers and (no) webhooks
            let first = try await b.postReview(email: "first@example.com", rating: 1)
            let openedByB = try await b.conversationCount()
            XCTAssertEqual(first, 201)
            XCTAssertEqual(openedByB, 1)

            // act: on node A, switch the trigger off and add a webhook endpoint
            let listed = try await a.call("GET", "/api/v1/triggers")
            let triggers = try XCTUnwrap(listed.json["triggers"] as? [[String: Any]])
            let low = try XCTUnwrap(triggers.first { ($0["name"] as? String)?.hasPrefix("Low rating") == true }?["id"] as? String)
            let off = try await a.call("PATCH", "/api/v1/triggers/\(low)", json: ["enabled": false])
            XCTAssertEqual(off.status, 200)
            let endpoint = try await a.call("POST", "/api/v1/webhooks", json: ["url": hooks.url, "events": ["review.created"]])
            XCTAssertEqual(endpoint.status, 201)
            try hooks.trust(secret: try XCTUnwrap(endpoint.json["secret"] as? String))
            let changed = Date()
            // node A sees its own change at once
            let onA = try await a.postReview(email: "on-a@example.com", rating: 1)
            let afterA = try await b.conversationCount()
            XCTAssertEqual(onA, 201)
            XCTAssertEqual(afterA, 1, "the trigger switched off on A opened a conversation on A")

            // check: once the staleness has passed, node B follows both changes
            try await Task.sleep(nanoseconds: UInt64((Self.staleness + 0.3) * 1_000_000_000))
            XCTAssertLessThan(Date().timeIntervalSince(changed), Self.staleness + 1.5)
            let after = try await b.postReview(email: "after@example.com", rating: 1)
            let afterB = try await b.conversationCount()
            XCTAssertEqual(after, 201)
            XCTAssertEqual(afterB, 1, "node B still fired a trigger switched off on node A")
            let delivered = try await hooks.waitFor(2, event: "review.created", timeout: 20)
            let emails = delivered.compactMap { (($0.webhookBody?["data"] as? [String: Any])?["customer"] as? [String: Any])?["email"] as? String }
            XCTAssertEqual(Set(emails), ["on-a@example.com", "after@example.com"], "node B's review reached the endpoint added on node A")
            XCTAssertTrue(delivered.allSatisfy { $0["signature_valid"] as? Bool == true }, "\(delivered)")
        }
    }
}

/// The JSON API of one `careloop serve` process, as a store's integration calls it.
private struct NodeClient {
    let port: Int
    let key: String

    func call(_ method: String, _ path: String, json: [String: Any]? = nil) async throws -> (status: Int, json: [String: Any]) {
        var req = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        req.httpMethod = method
        req.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        if let json {
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
            req.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        let (data, response) = try await URLSession.shared.data(for: req)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    func postReview(email: String, rating: Int) async throws -> Int {
        try await call("POST", "/api/v1/reviews", json: reviewJSON(product: "kettle", email: email, rating: rating)).status
    }

    func conversationCount() async throws -> Int? {
        try await call("GET", "/api/v1/conversations").json["total"] as? Int
    }
}

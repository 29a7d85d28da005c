import CareCore
import Vapor
import XCTest

@testable import CareWeb

/// Store A's key sees and touches nothing of store B: another store's ids are simply not found.
final class CrossStoreTests: XCTestCase {
    func testStoreAKeySeesNothingOfStoreB() async throws {
        try await onEachBackend { server in
            // setup: B has a product, an order and a review
            let (_, keyA) = try await server.makeStore("a")
            let (storeB, keyB) = try await server.makeStore("b")
            _ = try await server.send(
                .POST, "/api/v1/orders", key: keyB,
                json: [
                    "external_id": "SHARED-1", "customer": ["email": "bob@example.com"],
                    "items": [["product": ["external_id": "shared", "name": "B's thing"], "quantity": 1]],
                ])
            let bReview = try await server.send(
                .POST, "/api/v1/reviews", key: keyB,
                json: reviewJSON(product: "shared", email: "bob@example.com", rating: 2, body: "meh", order: "SHARED-1"))
            let bID = try XCTUnwrap(try bReview.json["id"] as? String)
            XCTAssertEqual(try bReview.json["verified"] as? Bool, true)

            // act + check: every store route with B's ids answers 404 (never 403, never data)
            let list = try await server.send(.GET, "/api/v1/reviews", key: keyA).json
            XCTAssertEqual(list["total"] as? Int, 0)
            let filtered = try await server.send(.GET, "/api/v1/reviews?product=shared", key: keyA).json
            XCTAssertEqual(filtered["total"] as? Int, 0)
            for (method, path, body) in [
                (HTTPMethod.GET, "/api/v1/reviews/\(bID)", nil as [String: Any]?),
                (.POST, "/api/v1/reviews/\(bID)/reply", ["body": "hijack"]),
                (.POST, "/api/v1/reviews/\(bID)/publish", nil),
                (.POST, "/api/v1/reviews/\(bID)/reject", ["reason": "competitor"]),
            ] {
                let r = try await server.send(method, path, key: keyA, json: body)
                XCTAssertEqual(r.status, .notFound, "\(method) \(path): \(r.text)")
                XCTAssertFalse(r.text.contains("bob@example.com"))
            }
            // A reviewing "the same" product id and naming B's order creates A's own product, unverified.
            let aReview = try await server.send(
                .POST, "/api/v1/reviews", key: keyA,
                json: reviewJSON(product: "shared", productName: "A's thing", email: "bob@example.com", rating: 5, order: "SHARED-1"))
            XCTAssertEqual(try aReview.json["verified"] as? Bool, false)
            // A re-sending B's order id makes A's own order; B's order keeps its customer.
            let aOrder = try await server.send(
                .POST, "/api/v1/orders", key: keyA,
                json: [
                    "external_id": "SHARED-1", "customer": ["email": "mallory@example.com"],
                    "items": [["product": ["external_id": "shared", "name": "x"], "quantity": 1]],
                ])
            XCTAssertEqual(aOrder.status, .created)

            // B's view is untouched.
            let bNow = try await server.send(.GET, "/api/v1/reviews/\(bID)", key: keyB).json
            XCTAssertEqual(bNow["status"] as? String, "published")
            XCTAssertTrue(bNow["reply"] is NSNull)
            let bSummary = try await server.publicSummary(storeB.slug, "shared")
            XCTAssertEqual(bSummary.count, 1)
            XCTAssertEqual(bSummary.average, 2.0)
        }
    }
}

import CareCore
import Vapor
import XCTest

@testable import CareWeb

/// What happens to bad input, route by route: a JSON error with the right 4xx, never a 500, and
/// nothing stored.
final class BadInputTests: XCTestCase {
    func testKeysAreCheckedOnEveryStoreRoute() async throws {
        try await onEachBackend { server in
            let routes: [(HTTPMethod, String)] = [
                (.POST, "/api/v1/reviews"), (.GET, "/api/v1/reviews"), (.GET, "/api/v1/reviews/\(UUID())"),
                (.POST, "/api/v1/reviews/\(UUID())/reply"), (.POST, "/api/v1/reviews/\(UUID())/publish"),
                (.POST, "/api/v1/reviews/\(UUID())/reject"), (.POST, "/api/v1/orders"),
            ]
            for (method, path) in routes {
                let missing = try await server.send(method, path, json: ["x": 1])
                XCTAssertEqual(missing.status, .unauthorized, "\(method) \(path)")
                XCTAssertEqual(missing.errorCode, "missing_api_key")
                let wrong = try await server.send(method, path, key: "clk_not-a-real-key", json: ["x": 1])
                XCTAssertEqual(wrong.status, .unauthorized, "\(method) \(path)")
                XCTAssertEqual(wrong.errorCode, "invalid_api_key")
                let garbage = try await server.send(method, path, key: String(repeating: "x", count: 300), json: ["x": 1])
                XCTAssertEqual(garbage.status, .unauthorized)
            }
        }
    }

    func testReviewBodiesThatAreWrongSayWhichField() async throws {
        try await onEachBackend { server in
            // setup
            let (_, key) = try await server.makeStore()
            var noProductName = reviewJSON()
            noProductName["product"] = ["external_id": "x"]
            var productNotObject = reviewJSON()
            productNotObject["product"] = "x"
            let cases: [(String, [String: Any], HTTPStatus, String)] = [
                ("rating 0", reviewJSON(rating: 0), .unprocessableEntity, "rating"),
                ("rating 6", reviewJSON(rating: 6), .unprocessableEntity, "rating"),
                ("rating text", reviewJSON(rating: "five"), .unprocessableEntity, "rating"),
                ("rating fraction", reviewJSON(rating: 4.5), .unprocessableEntity, "rating"),
                ("rating null", reviewJSON(rating: NSNull()), .unprocessableEntity, "rating"),
                ("no email", reviewJSON(email: ""), .unprocessableEntity, "customer.email"),
                ("bad email", reviewJSON(email: "nobody"), .unprocessableEntity, "customer.email"),
                ("no product name", noProductName, .unprocessableEntity, "product.name"),
                ("product not object", productNotObject, .unprocessableEntity, "product"),
                ("long title", reviewJSON(title: String(repeating: "t", count: 201)), .unprocessableEntity, "title"),
                ("control chars", reviewJSON(body: "a\u{0}b"), .unprocessableEntity, "body"),
            ]
            for (label, json, status, field) in cases {
                // act
                let r = try await server.send(.POST, "/api/v1/reviews", key: key, json: json)
                // check
                XCTAssertEqual(r.status, status, "\(label): \(r.text)")
                XCTAssertTrue(r.errorMessage?.hasPrefix(field) == true, "\(label): message names \(field): \(r.text)")
            }
            var missingRating = reviewJSON()
            missingRating.removeValue(forKey: "rating")
            let r = try await server.send(.POST, "/api/v1/reviews", key: key, json: missingRating)
            XCTAssertEqual(r.status, .unprocessableEntity)
            XCTAssertEqual(r.errorCode, "missing_field")
            XCTAssertEqual(r.errorMessage, "rating: is required")
            // Nothing was stored by any of them.
            let total = try await server.reviewTotal(key: key)
            XCTAssertEqual(total, 0)
        }
    }

    func testUnreadableBodiesAre400And413() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let publicPath = "/api/v1/public/stores/\(store.slug)/products/p/reviews"
            for path in ["/api/v1/reviews", "/api/v1/orders", publicPath] {
                let k = path == publicPath ? nil : key
                let malformed = try await server.send(.POST, path, key: k, raw: Data("{\"rating\": 5,".utf8))
                XCTAssertEqual(malformed.status, .badRequest, path)
                XCTAssertEqual(malformed.errorCode, "malformed_json")
                let badUTF8 = try await server.send(.POST, path, key: k, raw: Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]))
                XCTAssertEqual(badUTF8.status, .badRequest, path)
                let array = try await server.send(.POST, path, key: k, raw: Data("[1,2]".utf8))
                XCTAssertEqual(array.status, .badRequest, path)
                let empty = try await server.send(.POST, path, key: k, raw: Data(), contentType: nil)
                XCTAssertEqual(empty.status, .badRequest, path)
                let form = try await server.send(.POST, path, key: k, raw: Data("rating=5".utf8), contentType: "application/x-www-form-urlencoded")
                XCTAssertEqual(form.status, .badRequest, path)
                let huge = try await server.send(.POST, path, key: k, json: reviewJSON(body: String(repeating: "a", count: 70_000)))
                XCTAssertEqual(huge.status, .payloadTooLarge, path)
                XCTAssertEqual(huge.errorCode, "body_too_large")
            }
            let total = try await server.reviewTotal(key: key)
            XCTAssertEqual(total, 0)
        }
    }

    func testBadQueryAndPathValues() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let checks: [(String, String?, HTTPStatus)] = [
                ("/api/v1/reviews?page=0", key, .unprocessableEntity),
                ("/api/v1/reviews?page=abc", key, .unprocessableEntity),
                ("/api/v1/reviews?per_page=1000", key, .unprocessableEntity),
                ("/api/v1/reviews?status=hidden", key, .unprocessableEntity),
                ("/api/v1/reviews?rating=9", key, .unprocessableEntity),
                ("/api/v1/reviews/not-a-uuid", key, .notFound),
                ("/api/v1/reviews/\(UUID())", key, .notFound),
                ("/api/v1/public/stores/\(store.slug)/products/p/reviews?per_page=0", nil, .unprocessableEntity),
                ("/api/v1/nowhere", nil, .notFound),
            ]
            for (path, k, status) in checks {
                let r = try await server.send(.GET, path, key: k)
                XCTAssertEqual(r.status, status, "\(path): \(r.text)")
                XCTAssertNotNil(r.errorCode, "\(path) answers in the JSON error shape")
            }
        }
    }

    func testReplyAndRejectNeedTheirText() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            let created = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(rating: 1))
            let id = try XCTUnwrap(try created.json["id"] as? String)
            let cases: [(String, Any, String)] = [
                ("reply", ["body": ""], "body"), ("reply", ["text": "hi"], "body"), ("reply", ["body": 5], "body"),
                ("reply", ["body": String(repeating: "r", count: 10_001)], "body"),
                ("reject", [String: Any](), "reason"), ("reject", ["reason": " \n "], "reason"),
            ]
            for (action, json, field) in cases {
                let r = try await server.send(.POST, "/api/v1/reviews/\(id)/\(action)", key: key, json: json)
                XCTAssertEqual(r.status, .unprocessableEntity, "\(action) \(json): \(r.text)")
                XCTAssertTrue(r.errorMessage?.hasPrefix(field) == true, r.text)
            }
            // The review is untouched: still published, no reply.
            let now = try await server.send(.GET, "/api/v1/reviews/\(id)", key: key).json
            XCTAssertEqual(now["status"] as? String, "published")
            XCTAssertTrue(now["reply"] is NSNull)
        }
    }

    func testBadOrders() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            let good: [String: Any] = [
                "external_id": "O", "customer": ["email": "o@example.com"],
                "items": [["product": ["external_id": "p", "name": "P"], "quantity": 1]],
            ]
            func with(_ key: String, _ value: Any) -> [String: Any] {
                var j = good
                j[key] = value
                return j
            }
            let cases: [(String, [String: Any], String)] = [
                ("no items", with("items", [Any]()), "items"),
                ("zero quantity", with("items", [["product": ["external_id": "p", "name": "P"], "quantity": 0]]), "items[0].quantity"),
                ("item product without name", with("items", [["product": ["external_id": "p"], "quantity": 1]]), "items[0].product.name"),
                ("bad date", with("placed_at", "yesterday"), "placed_at"),
                (
                    "fulfilled before placed", with("placed_at", "2026-02-02T00:00:00Z").merging(["fulfilled_at": "2026-01-01T00:00:00Z"]) { $1 },
                    "fulfilled_at"
                ),
                ("bad currency", with("currency", "euros"), "currency"),
                ("negative total", with("total", -5), "total"),
                ("no external id", with("external_id", ""), "external_id"),
            ]
            for (label, json, field) in cases {
                let r = try await server.send(.POST, "/api/v1/orders", key: key, json: json)
                XCTAssertEqual(r.status, .unprocessableEntity, "\(label): \(r.text)")
                XCTAssertTrue(r.errorMessage?.hasPrefix(field) == true, "\(label): \(r.text)")
            }
        }
    }

    /// A slug no store can have (a NUL byte: PostgreSQL refuses the text outright) is not found, on
    /// every public route that starts from a store's slug.
    func testImpossibleSlugsAreNotFoundOnEveryPublicRoute() async throws {
        try await onEachBackend { server in
            for slug in ["%00", "a%00b", "%F0%9F%98%80", String(repeating: "x", count: 300)] {
                for path in [
                    "/embed/\(slug)/x", "/s/\(slug)/review-policy", "/s/\(slug)/help", "/feeds/\(slug)/google-product-reviews.xml",
                    "/api/v1/public/stores/\(slug)/summaries?products=x", "/api/v1/public/stores/\(slug)/products/x/reviews",
                ] {
                    let r = try await server.send(.GET, path, contentType: nil)
                    XCTAssertEqual(r.status, .notFound, "\(server.backend) \(path): \(r.text.prefix(200))")
                }
            }
            // A product id no store can have, on a store that exists: not found too (PostgreSQL
            // refuses a NUL byte in any text, which was a 500).
            let (store, _) = try await server.makeStore()
            for id in ["%00", "a%00b", String(repeating: "x", count: 1_000)] {
                for path in [
                    "/embed/\(store.slug)/\(id)", "/api/v1/public/stores/\(store.slug)/products/\(id)/reviews",
                    "/api/v1/public/stores/\(store.slug)/products/\(id)/jsonld",
                ] {
                    let r = try await server.send(.GET, path, contentType: nil)
                    XCTAssertEqual(r.status, .notFound, "\(server.backend) \(path): \(r.text.prefix(200))")
                    XCTAssertTrue(r.text.contains("product not found"), r.text)
                }
                let summaries = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/summaries?products=\(id)", contentType: nil)
                XCTAssertEqual(summaries.status, .ok, "\(server.backend): \(summaries.text.prefix(200))")
            }
        }
    }
}

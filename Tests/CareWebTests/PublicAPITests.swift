import CareCore
import Vapor
import XCTest

@testable import CareWeb

final class PublicAPITests: XCTestCase {
    func testSummaryCountsEveryPublishedReviewAndListIsNewestFirst() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            for (i, rating) in [1, 1, 2, 3, 4, 5, 5].enumerated() {
                let r = try await server.send(
                    .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "tea", email: "c\(i)@example.com", rating: rating, title: "r\(i)"))
                XCTAssertEqual(r.status, .created, r.text)
            }
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(
                    product: "tea", email: "held@example.com", rating: 5, body: "www.a.example www.b.example"))
            // act
            let r = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/products/tea/reviews?per_page=3")
            // check
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(r.headers.first(name: "Access-Control-Allow-Origin"), "*")
            let list = try r.decoded(API.PublicReviewList.self)
            XCTAssertEqual(list.summary.count, 7, "held review not counted, every published one is")
            XCTAssertEqual(list.summary.average, 3.0)
            XCTAssertEqual(list.summary.distribution, ["1": 2, "2": 1, "3": 1, "4": 1, "5": 2])
            XCTAssertEqual(list.reviews.map(\.title), ["r6", "r5", "r4"])
            // The keys themselves, not a decoding of them: nothing about the reviewer beyond these.
            let firstKeys = try XCTUnwrap((r.json["reviews"] as? [Any])?.first as? [String: Any]).keys
            XCTAssertEqual(
                Set(firstKeys), ["id", "rating", "title", "body", "author_name", "verified", "created_at", "reply"],
                "no email or moderation detail in public")
            let last = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/products/tea/reviews?per_page=3&page=3")
            XCTAssertEqual(try last.decoded(API.PublicReviewList.self).reviews.map(\.title), ["r0"])
        }
    }

    func testUnknownStoreOrProductIs404() async throws {
        try await onEachBackend { server in
            let (store, _) = try await server.makeStore()
            let noStore = try await server.send(.GET, "/api/v1/public/stores/nope-nope/products/x/reviews")
            let noProduct = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/products/x/reviews")
            XCTAssertEqual(noStore.status, .notFound)
            XCTAssertEqual(noStore.errorCode, "not_found")
            XCTAssertEqual(noProduct.status, .notFound)
        }
    }

    func testPublicFormStoresAWidgetReviewOfAKnownProductOnly() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            _ = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: [
                    "external_id": "O1", "customer": ["email": "wid@example.com"],
                    "items": [["product": ["external_id": "lamp", "name": "Lamp"], "quantity": 1]],
                ])
            let path = "/api/v1/public/stores/\(store.slug)/products/lamp/reviews"
            // act
            let r = try await server.send(
                .POST, path, json: ["rating": 1, "body": "flickers", "author_name": "Wid Get", "author_email": "WID@example.com"])
            let unknown = try await server.send(
                .POST, "/api/v1/public/stores/\(store.slug)/products/ghost/reviews",
                json: ["rating": 5, "author_name": "A", "author_email": "a@example.com"])
            // check
            XCTAssertEqual(r.status, .created, r.text)
            XCTAssertEqual(
                try r.decoded(API.PublicReview.self).verified, false,
                "the public form proves no identity: verified only once the address confirms (GauntletTests)")
            XCTAssertEqual(r.headers.first(name: "X-Review-Status"), "published", "a 1★ review is published like any other")
            XCTAssertEqual(unknown.status, .notFound, "strangers cannot create products")
            let list = try await server.send(.GET, "/api/v1/reviews?product=lamp", key: key).decoded(API.ReviewList.self)
            XCTAssertEqual(list.reviews.first?.source, "widget")
            let bad = try await server.send(.POST, path, json: ["rating": 3, "author_name": "A", "author_email": "not-an-email"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.errorMessage?.hasPrefix("author_email") == true, bad.text)
        }
    }

    func testPublicFormIsRateLimitedPerClientAddress() async throws {
        try await onEachBackend(tweak: {
            $0.publicReviewBurst = 3
            $0.publicReviewPerMinute = 1
        }) { server in
            let (store, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "pen"))
            let path = "/api/v1/public/stores/\(store.slug)/products/pen/reviews"
            var statuses: [UInt] = []
            for i in 0..<5 {
                let r = try await server.send(.POST, path, json: ["rating": 4, "author_name": "N\(i)", "author_email": "n\(i)@example.com"])
                statuses.append(r.status.code)
                if r.status == .tooManyRequests {
                    XCTAssertNotNil(r.headers.first(name: "Retry-After"))
                    XCTAssertEqual(r.errorCode, "rate_limited")
                }
            }
            XCTAssertEqual(statuses, [201, 201, 201, 429, 429])
            // Reading is never limited.
            let read = try await server.send(.GET, path)
            XCTAssertEqual(read.status, .ok)
        }
    }

    func testHealthzAndMetrics() async throws {
        try await onEachBackend(tweak: { $0.metricsToken = "metrics-token-for-tests" }) { server in
            let r = try await server.send(.GET, "/healthz")
            XCTAssertEqual(r.status, .ok)
            XCTAssertEqual(try r.json["status"] as? String, "ok")
            // setup: one published and one held review
            let (_, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(rating: 1))
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "x@example.com", body: "www.a.example www.b.example"))
            // act
            let metrics = try await server.send(.GET, "/metrics", key: "metrics-token-for-tests")
            // check: Prometheus text format with CareLoop's counters
            XCTAssertEqual(metrics.status, .ok)
            XCTAssertTrue(metrics.headers.first(name: .contentType)?.hasPrefix("text/plain") == true)
            XCTAssertTrue(metrics.text.contains(#"careloop_reviews_received_total{source="api",status="published"} 1"#), metrics.text)
            XCTAssertTrue(metrics.text.contains(#"careloop_reviews_received_total{source="api",status="pending"} 1"#), metrics.text)
        }
    }
}

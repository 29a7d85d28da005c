import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Content rules hold reviews the same way whatever the stars; held reviews publish at their deadline.
final class ModerationTests: XCTestCase {
    func testContentRulesIgnoreStarsAndOneStarIsNeverHeld() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            let oneStar = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "a@example.com", rating: 1, body: "Terrible. Broke in a day."))
            XCTAssertEqual(try oneStar.json["status"] as? String, "published")
            for rating in [1, 5] {
                let spam = try await server.send(
                    .POST, "/api/v1/reviews", key: key,
                    json: reviewJSON(
                        email: "s\(rating)@example.com", rating: rating, body: "see https://x.example and https://y.example"))
                XCTAssertEqual(try spam.json["status"] as? String, "pending", "\(rating)★ spam is held alike")
                XCTAssertEqual(try spam.json["held_by_rule"] as? String, "links")
                XCTAssertNotNil(try spam.json["publish_after"] as? String)
            }
            let first = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "d@example.com", rating: 4, body: "Solid"))
            let dup = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "other", email: "d@example.com", rating: 4, body: " solid "))
            XCTAssertEqual(try first.json["status"] as? String, "published")
            XCTAssertEqual(try dup.json["held_by_rule"] as? String, "duplicate")
        }
    }

    func testHeldReviewPublishesItselfAtTheDeadlineUnlessRejected() async throws {
        try await onEachBackend { server in
            // setup: two held reviews, one rejected by a person
            let (store, key) = try await server.makeStore()
            let a = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "z", email: "a@example.com", rating: 1, body: "www.a.example www.b.example"))
            let b = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "z", email: "b@example.com", rating: 5, body: "www.c.example www.d.example"))
            let bID = try XCTUnwrap(try b.json["id"] as? String)
            _ = try await server.send(.POST, "/api/v1/reviews/\(bID)/reject", key: key, json: ["reason": "advertising"])
            let app = server.app

            // act: a sweep now publishes nothing; a sweep past the store's hold (7 days) publishes the 1★
            _ = try await ReviewModeration.publishDue(storage: app.care.storage, on: app.db)
            let aID = try XCTUnwrap(try a.json["id"] as? String)
            let aEarly = try await server.send(.GET, "/api/v1/reviews/\(aID)", key: key).json
            let later = app.care.storage.withClock { Date().addingTimeInterval(7 * 86_400 + 60) }
            let due = try await ReviewModeration.publishDue(storage: later, on: app.db)

            // check
            XCTAssertEqual(aEarly["status"] as? String, "pending", "not yet due")
            XCTAssertGreaterThanOrEqual(due, 1, "the test database may hold other tests' held reviews too")
            let aNow = try await server.send(.GET, "/api/v1/reviews/\(aID)", key: key).json
            XCTAssertEqual(aNow["status"] as? String, "published")
            XCTAssertEqual(aNow["moderated_by"] as? String, "deadline")
            let bNow = try await server.send(.GET, "/api/v1/reviews/\(bID)", key: key).json
            XCTAssertEqual(bNow["status"] as? String, "rejected")
            let summary = try await server.publicSummary(store.slug, "z")
            XCTAssertEqual(summary.distribution, ["1": 1, "2": 0, "3": 0, "4": 0, "5": 0])
        }
    }
}

import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Reviews at volume: tabs with counts, the held-reviews badge, and one decision on many reviews.
final class ReviewDecisionTests: XCTestCase {
    /// A review two links hold for a person's decision.
    func heldReview(_ server: TestServer, key: String, _ i: Int) async throws -> String {
        let r = try await server.send(
            .POST, "/api/v1/reviews", key: key,
            json: reviewJSON(email: "held\(i)@example.com", rating: 5, body: "Buy here http://a.example/\(i) and http://b.example/\(i)"))
        XCTAssertEqual(r.status, .created, r.text)
        let json = try r.json
        XCTAssertEqual(json["status"] as? String, "pending")
        return try XCTUnwrap(json["id"] as? String)
    }

    func testBulkRejectKeepsTheReasonOnEachAndRefusesOtherStoresIDs() async throws {
        try await onEachBackend { server in
            // setup: three held reviews and one published in a store, one held in another store
            let (store, key, owner) = try await server.storeWithOwner()
            let (_, otherKey) = try await server.makeStore("other")
            var held: [String] = []
            for i in 0..<3 { held.append(try await heldReview(server, key: key, i)) }
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "fine@example.com", rating: 4))
            let foreign = try await heldReview(server, key: otherKey, 9)
            let page = try await owner.get("/app/reviews")
            XCTAssertTrue(page.text.contains("Needs a decision <span class=\"count\">3</span>"), page.text)
            XCTAssertTrue(page.text.contains("Published <span class=\"count\">1</span>"))
            XCTAssertTrue(page.text.contains(#"id="held-badge""#))
            XCTAssertTrue(page.text.contains("publishes itself on"))

            func bulk(_ ids: [String], _ fields: [String: String]) async throws -> TestServer.Reply {
                let body =
                    form(fields.merging(["_csrf": owner.csrf]) { $1 })
                    + ids.map { "&ids%5B%5D=\($0)" }.joined()
                return try await server.send(
                    .POST, "/app/reviews/bulk", raw: Data(body.utf8), contentType: "application/x-www-form-urlencoded",
                    headers: ["Cookie": owner.cookie])
            }
            // act + check: refused without a reason, with another store's id (nothing changes), and with junk
            let noReason = try await bulk(held, ["decision": "reject", "reason": " "])
            XCTAssertEqual(noReason.status, .unprocessableEntity)
            let withForeign = try await bulk(held + [foreign], ["decision": "reject", "reason": "Spam links"])
            XCTAssertEqual(withForeign.status, .notFound)
            let junk = try await bulk(["not-an-id"], ["decision": "reject", "reason": "x"])
            XCTAssertEqual(junk.status, .unprocessableEntity)
            let tooMany = try await bulk((0...100).map { _ in UUID().uuidString }, ["decision": "publish"])
            XCTAssertEqual(tooMany.status, .unprocessableEntity)
            let noDecision = try await bulk(held, ["decision": "delete"])
            XCTAssertEqual(noDecision.status, .unprocessableEntity)
            var statuses = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).all().map(\.status.rawValue)
            XCTAssertEqual(statuses.filter { $0 == "pending" }.count, 3, "a refused bulk decision changes nothing")

            // act: reject the three with one reason
            let done = try await bulk(held, ["decision": "reject", "reason": "Spam links", "back": "/app/reviews?status=pending"])
            XCTAssertEqual(done.status, .seeOther)
            XCTAssertEqual(done.headers.first(name: .location), "/app/reviews?status=pending")

            // check: each rejected with the reason and who decided
            for id in held {
                let found = try await Review.find(UUID(uuidString: id), on: server.app.db)
                let r = try XCTUnwrap(found)
                XCTAssertEqual(r.status, .rejected)
                XCTAssertEqual(r.statusReason, "Spam links")
                XCTAssertEqual(r.moderatedBy, "\(store.slug)@owner.test")
            }
            statuses = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).all().map(\.status.rawValue)
            XCTAssertEqual(statuses.sorted(), ["published", "rejected", "rejected", "rejected"])
            let after = try await owner.get("/app/reviews")
            XCTAssertFalse(after.text.contains(#"id="held-badge""#), "no badge once nothing is held")
            XCTAssertTrue(after.text.contains("Rejected <span class=\"count\">3</span>"))
            let summary = try await server.publicSummary(store.slug, "sku-1")
            XCTAssertEqual(summary.count, 1, "only the published review counts")
        }
    }
}

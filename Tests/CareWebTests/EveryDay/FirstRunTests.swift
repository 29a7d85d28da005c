import CareCore
import Fluent
import Foundation
import XCTest

@testable import CareWeb

/// The first hour's checklist: shown to owners only, each step ticked by what happened (an order,
/// the widget read from another site — not from CareLoop's own pages), put away for good by its button.
final class FirstRunTests: XCTestCase {
    func testStepsTickFromWhatHappenedAndTheListCanBePutAway() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key, owner) = try await server.storeWithOwner("first")
            _ = try await Team.add(
                storeSlug: store.slug, email: "agent-\(store.slug)@shop.test", name: "Ann", password: "agent password",
                role: .agent, hasher: server.app.care.hasher, storage: server.app.care.storage, on: server.app.db)
            let agent = try await StaffClient.signIn(server, email: "agent-\(store.slug)@shop.test", password: "agent password")
            var page = try await owner.get("/app/inbox")
            XCTAssertTrue(page.text.contains("1 of 5 done"), "the team step is done (an agent exists); nothing else")
            XCTAssertTrue(page.text.contains("data-store=&quot;\(store.slug)&quot;"), "the snippet carries the store's slug")
            let agentPage = try await agent.get("/app/inbox")
            XCTAssertFalse(agentPage.text.contains("id=\"first-run\""), "agents never see it")
            let refused = try await agent.post("/app/first-run/test-request")
            XCTAssertEqual(refused.status, .forbidden)

            // act: an order; the widget read from CareLoop's own page, then from the shop's
            let order = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: orderJSON(id: "F1", email: "b@example.com", fulfilledDaysAgo: 1, products: [("kettle", "Kettle")]))
            XCTAssertEqual(order.status, .created, order.text)
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "kettle", productName: "Kettle", rating: 5))
            _ = try await server.send(.GET, "/embed/\(store.slug)/kettle", contentType: nil, headers: ["Origin": server.app.care.links.publicURL])
            page = try await owner.get("/app/inbox")
            XCTAssertTrue(page.text.contains("2 of 5 done"), "CareLoop's own origin is not the shop")
            server.app.care.publicListCache.invalidateAll()
            _ = try await server.send(.GET, "/embed/\(store.slug)/kettle", contentType: nil, headers: ["Origin": "https://shop.example"])
            page = try await owner.get("/app/inbox")
            XCTAssertTrue(page.text.contains("3 of 5 done"), "read from the shop's site: the widget step ticks")

            // act: a test request
            let sent = try await owner.post("/app/first-run/test-request")
            XCTAssertEqual(sent.status, .seeOther)
            let jobs = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).all()
            XCTAssertTrue(jobs.contains { $0.payload.contains("\"sample\":\"request\"") && $0.payload.contains(store.slug + "@owner.test") })
            page = try await owner.get("/app/inbox")
            XCTAssertTrue(page.text.contains("4 of 5 done"))

            // act: put away
            let dismissed = try await owner.post("/app/first-run/dismiss")
            XCTAssertEqual(dismissed.status, .seeOther)
            page = try await owner.get("/app/inbox")
            XCTAssertFalse(page.text.contains("id=\"first-run\""))
        }
    }
}

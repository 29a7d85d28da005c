import Fluent
import Vapor
import XCTest

@testable import CareCore
@testable import CareWeb

/// A customer's data: exported whole, erased with the ratings kept anonymously, every such act in the
/// store's audit log; and resolved conversations losing their text after the store's retention.
final class PrivacyTests: XCTestCase {
    func testExportAndEraseACustomerKeepingTheirRatingsAnonymously() async throws {
        try await onEachBackend { server in
            // setup: Ada with an order, a 1★ review (its conversation), a reply, a staff note; Bob in another store
            let (store, key) = try await server.makeStore()
            let (_, otherKey) = try await server.makeStore("other")
            let ada = "ada-\(server.backend)@example.com"
            _ = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: [
                    "external_id": "A1", "customer": ["email": ada, "name": "Ada Lovelace"],
                    "items": [["product": ["external_id": "kettle", "name": "Kettle"], "quantity": 1, "unit_price": 4500]],
                ])
            let review = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(
                    product: "kettle", productName: "Kettle", email: ada, name: "Ada Lovelace", rating: 1, title: "Leaks",
                    body: "My kitchen floor is wet"))
            XCTAssertEqual(review.status, .created)
            let conversationID = try unwrapped(try await server.conversations(key: key).first?.id)
            _ = try await server.send(
                .POST, "/api/v1/conversations/\(conversationID)/messages", key: key, json: ["body": "So sorry, Ada: a new one is on its way"])
            let customerRow = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$email == ada).first()
            let customerID = try XCTUnwrap(customerRow?.id)
            let summaryBefore = try await server.publicSummary(store.slug, "kettle")

            // act: export
            let export = try await server.send(.GET, "/api/v1/customers/\(customerID)/export", key: key)
            // check: everything about her, nothing of the page credential
            XCTAssertEqual(export.status, .ok)
            let json = try export.json
            XCTAssertEqual((json["customer"] as? [String: Any])?["email"] as? String, ada)
            XCTAssertEqual((json["orders"] as? [[String: Any]])?.first?["external_id"] as? String, "A1")
            XCTAssertEqual((json["reviews"] as? [[String: Any]])?.first?["body"] as? String, "My kitchen floor is wet")
            let messages = ((json["conversations"] as? [[String: Any]])?.first?["messages"] as? [[String: Any]]) ?? []
            XCTAssertTrue(messages.contains { ($0["body"] as? String)?.contains("a new one is on its way") == true })
            XCTAssertFalse(export.text.contains("token"), "the conversation's page token is a credential, not data about her")
            // another store's key cannot see her
            let foreign = try await server.send(.GET, "/api/v1/customers/\(customerID)/export", key: otherKey)
            XCTAssertEqual(foreign.status, .notFound)
            let foreignErase = try await server.send(.DELETE, "/api/v1/customers/\(customerID)", key: otherKey)
            XCTAssertEqual(foreignErase.status, .notFound)

            // act: erase
            let erased = try await server.send(.DELETE, "/api/v1/customers/\(customerID)", key: key)
            XCTAssertEqual(erased.status, .ok, erased.text)
            XCTAssertEqual(try erased.json["reviews_kept_anonymously"] as? Int, 1)
            // check: her name, address, words and orders are gone; the rating still counts, anonymously
            let after = try await server.send(.GET, "/api/v1/customers/\(customerID)/export", key: key)
            XCTAssertFalse(after.text.contains(ada))
            XCTAssertFalse(after.text.contains("Lovelace"))
            XCTAssertFalse(after.text.contains("kitchen floor"))
            XCTAssertFalse(after.text.contains("new one is on its way"))
            XCTAssertEqual((try after.json["orders"] as? [Any])?.count, 0)
            let reviewAfter = try await server.send(.GET, "/api/v1/reviews/\(try XCTUnwrap(try review.json["id"] as? String))", key: key).json
            XCTAssertEqual(reviewAfter["rating"] as? Int, 1)
            XCTAssertEqual(reviewAfter["author_name"] as? String, "Anonymous")
            XCTAssertTrue(reviewAfter["body"] is NSNull || reviewAfter["body"] == nil)
            let summaryAfter = try await server.publicSummary(store.slug, "kettle")
            XCTAssertEqual(summaryAfter.count, summaryBefore.count)
            XCTAssertEqual(summaryAfter.average, summaryBefore.average)
            let again = try await server.send(.DELETE, "/api/v1/customers/\(customerID)", key: key)
            XCTAssertEqual(again.status, .conflict)
            // both are in the audit log, with who did it
            let audit = try await server.send(.GET, "/api/v1/audit", key: key).json["events"] as? [[String: Any]] ?? []
            let actions = audit.compactMap { $0["action"] as? String }
            XCTAssertTrue(actions.contains("customer.exported") && actions.contains("customer.erased"), "\(actions)")
            XCTAssertTrue(audit.allSatisfy { ($0["actor"] as? String)?.hasPrefix("API key clk_") == true })
            let otherAudit = try await server.send(.GET, "/api/v1/audit", key: otherKey)
            XCTAssertFalse(otherAudit.text.contains("customer.erased"))
        }
    }

    func testOwnersExportAndEraseFromTheProfileAgentsCannot() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "grace@example.com", name: "Grace Hopper", rating: 2, body: "Late"))
            let grace = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$email == "grace@example.com").first()
            let id = try XCTUnwrap(grace?.id)
            _ = try await Team.add(
                storeSlug: store.slug, email: "agent-\(store.slug)@shop.test", name: "Ann Agent", password: "agent password",
                role: .agent, hasher: server.app.care.hasher, storage: server.app.care.storage, on: server.app.db)
            let owner = try await StaffClient.signIn(server, email: "\(store.slug)@owner.test", password: "correct horse")
            let agent = try await StaffClient.signIn(server, email: "agent-\(store.slug)@shop.test", password: "agent password")
            // agents see no privacy section and are refused
            let agentPage = try await agent.get("/app/customers/\(id)")
            XCTAssertFalse(agentPage.text.contains("Erase this customer"))
            let agentExport = try await agent.get("/app/customers/\(id)/export")
            XCTAssertEqual(agentExport.status, .forbidden)
            let agentErase = try await agent.post("/app/customers/\(id)/erase", ["confirm": "ERASE"])
            XCTAssertEqual(agentErase.status, .forbidden)
            // the owner: a download, and erasure only with the confirmation typed
            let page = try await owner.get("/app/customers/\(id)")
            XCTAssertTrue(page.text.contains("Erase this customer"))
            let download = try await owner.get("/app/customers/\(id)/export")
            XCTAssertEqual(download.status, .ok)
            XCTAssertTrue(download.headers.first(name: .contentDisposition)?.hasPrefix("attachment") == true)
            XCTAssertTrue(download.text.contains("grace@example.com"))
            let unconfirmed = try await owner.post("/app/customers/\(id)/erase", ["confirm": "yes"])
            XCTAssertEqual(unconfirmed.status, .unprocessableEntity)
            let done = try await owner.post("/app/customers/\(id)/erase", ["confirm": "ERASE"])
            XCTAssertEqual(done.status, .seeOther)
            let erasedPage = try await owner.get("/app/customers/\(id)")
            XCTAssertFalse(erasedPage.text.contains("grace@example.com"))
            // the settings page shows the audit log with the owner's name
            let settings = try await owner.get("/app/settings")
            XCTAssertTrue(settings.text.contains("customer.erased") && settings.text.contains("customer.exported"), "audit log on the page")
        }
    }

    func testResolvedConversationsLoseTheirTextAfterTheRetention() async throws {
        try await onEachBackend { server in
            // setup: a resolved conversation, and a retention of 3 months
            let (store, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "old@example.com", rating: 1, body: "Broken"))
            let id = try unwrapped(try await server.conversations(key: key).first?.id)
            _ = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": "Replacement sent"])
            _ = try await server.send(.POST, "/api/v1/conversations/\(id)/resolve", key: key, json: ["resolution_note": "sent a new one"])
            let bad = try await server.send(.PATCH, "/api/v1/settings/care", key: key, json: ["retention_months": 500])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            let set = try await server.send(.PATCH, "/api/v1/settings/care", key: key, json: ["retention_months": 3])
            XCTAssertEqual(try set.json["retention_months"] as? Int, 3)
            // act: now nothing is old enough; four months on, it is
            let care = server.app.care
            let none = try await Retention.purge(storage: care.storage, on: server.app.db)
            XCTAssertEqual(none, 0)
            let later = Date().addingTimeInterval(4 * 31 * 86_400)
            let removed = try await Retention.purge(storage: care.storage.withClock { later }, on: server.app.db)
            // check
            XCTAssertGreaterThan(removed, 0)
            let c = try await server.conversation(id, key: key)
            let bodies = try XCTUnwrap(c.messages).map(\.body)
            XCTAssertTrue(bodies.allSatisfy { $0 == Retention.removedText(months: 3) }, "\(bodies)")
            XCTAssertEqual(c.status, "resolved", "the conversation and its figures stay")
            _ = store
        }
    }
}

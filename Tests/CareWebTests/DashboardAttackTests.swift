import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// What an attack run on the care-team dashboard found, each kept from coming back.
final class DashboardAttackTests: XCTestCase {
    func testRedirectTargetsCannotCarryHeadersOrLeaveTheirSection() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key, owner) = try await server.storeWithOwner()
            let r = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "h@example.com", rating: 5, body: "http://a.example http://b.example"))
            let json = try r.json
            let id = try XCTUnwrap(json["id"] as? String)
            // act: a sign-in whose `next` carries a line break and a cookie of its own
            let pre = try await PreSession.start(server)
            let signIn = try await pre.post(
                "/app/login",
                ["email": "\(store.slug)@owner.test", "password": "correct horse", "next": "/app/inbox\r\nSet-Cookie: careloop_session=attacker"])
            // check: back to the inbox, and the only cookie set is the real session
            XCTAssertEqual(signIn.headers.first(name: .location), "/app/inbox")
            XCTAssertFalse(signIn.headers[.setCookie].contains { $0.contains("attacker") })
            // act + check: the bulk form's way back, with a line break or dot segments
            for back in [
                "/app/reviews\r\nLocation: https://evil.example/", "/app/reviews/../../x", "/app/reviews/%2e%2e/x", "//evil.example/app/reviews",
            ] {
                let body = form(["_csrf": owner.csrf, "decision": "publish", "back": back]) + "&ids%5B%5D=\(id)"
                let done = try await server.send(
                    .POST, "/app/reviews/bulk", raw: Data(body.utf8), contentType: "application/x-www-form-urlencoded",
                    headers: ["Cookie": owner.cookie])
                XCTAssertEqual(done.status, .seeOther, back)
                XCTAssertEqual(done.headers.first(name: .location), "/app/reviews", back)
            }
        }
    }

    func testTriggerFormRowsAreBoundedAndWhoMustBeOfTheTeam() async throws {
        try await onEachBackend { server in
            // setup
            let (_, _, owner) = try await server.storeWithOwner()
            let (_, _, _) = try await server.storeWithOwner("other")
            let base = [
                "name": "X", "event": "review.created", "conditions[0][attribute]": "review.rating", "conditions[0][op]": "lte",
                "conditions[0][value]": "2",
            ]
            // act + check: a row past the editor's size is refused before anything else
            var tooMany = base
            tooMany["actions[5][type]"] = "add_tag"
            tooMany["actions[5][setting]"] = "x"
            let refused = try await owner.post("/app/triggers", tooMany)
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertTrue(refused.text.contains("at most 5 actions"), refused.text)
            var thousands = base
            for i in 0..<1_500 { thousands["actions[\(i)][text]"] = "" }
            let big = try await owner.post("/app/triggers", thousands)
            XCTAssertEqual(big.status, .unprocessableEntity)
            XCTAssertLessThan(big.text.utf8.count, 50_000, "the refusal does not echo the rows")
            // another store's owner, or nobody, as "who": refused beside the action, nothing saved
            for who in ["other@owner.test", "nobody@example.com"] {
                var foreign = base
                foreign["actions[0][type]"] = "assign"
                foreign["actions[0][agent]"] = who
                let r = try await owner.post("/app/triggers", foreign)
                XCTAssertEqual(r.status, .unprocessableEntity, who)
                XCTAssertTrue(r.text.contains(#"id="a0-error">Action 1, who: choose someone of this store&#39;s team"#), r.text)
            }
            var mine = base
            mine["actions[0][type]"] = "assign"
            mine["actions[0][agent]"] = "round_robin"
            let saved = try await owner.post("/app/triggers", mine)
            XCTAssertEqual(saved.status, .seeOther, saved.text)
        }
    }

    func testOtherStoresProductsAndConversationsStayUnseen() async throws {
        try await onEachBackend { server in
            // setup: a conversation and a product in store B
            let (_, _, owner) = try await server.storeWithOwner()
            let (storeB, keyB) = try await server.makeStore("bshop")
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: keyB,
                json: reviewJSON(product: "b-kettle", productName: "Secret B Kettle", email: "b@example.com", rating: 1))
            let foundConversation = try await Conversation.query(on: server.app.db).filter(\.$storeID == storeB.id!).first()
            let foundProduct = try await Product.query(on: server.app.db).filter(\.$storeID == storeB.id!).first()
            let conversation = try XCTUnwrap(foundConversation)
            let product = try XCTUnwrap(foundProduct)
            // act
            let inbox = try await owner.get("/app/inbox?product=\(product.id!)")
            let activity = try await owner.get("/app/conversations/\(conversation.id!)/activity?since=0")
            let unknown = try await owner.get("/app/conversations/\(UUID())/activity")
            let longSearch = try await owner.get("/app/inbox?q=" + String(repeating: "a", count: Inbox.View.maxSearch + 1))
            // check
            XCTAssertEqual(inbox.status, .ok)
            XCTAssertFalse(inbox.text.contains("Secret B Kettle"))
            XCTAssertEqual(activity.status, .notFound)
            XCTAssertEqual(unknown.status, .notFound)
            XCTAssertEqual(longSearch.status, .unprocessableEntity)
        }
    }
}

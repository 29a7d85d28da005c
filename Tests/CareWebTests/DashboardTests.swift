import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// The staff dashboard over real HTTP: who may sign in, what a session cookie is, forms that need
/// their CSRF token, owner-only settings, and staff who can never reach another store's data.
final class DashboardTests: XCTestCase {
    func testSignInLockoutCookieAndSignOut() async throws {
        try await onEachBackend(tweak: { $0.publicURL = "https://care.shop.test" }) { server in
            // setup
            let (store, _) = try await server.makeStore()
            let email = "\(store.slug)@owner.test"
            let browser = try await PreSession.start(server)
            // the sign-in form itself needs its token and cookie: another site cannot sign anyone in
            let noToken = try await browser.post("/app/login", ["email": email, "password": "correct horse"], csrf: "")
            XCTAssertEqual(noToken.status, .forbidden)
            let noCookie = try await browser.post("/app/login", ["email": email, "password": "correct horse"], cookie: false)
            XCTAssertEqual(noCookie.status, .forbidden)
            XCTAssertNil(noCookie.headers.first(name: .setCookie), "no session was made")
            // act: a wrong password, then the right one
            let wrong = try await browser.post("/app/login", ["email": email, "password": "nope"])
            XCTAssertEqual(wrong.status, .unauthorized)
            XCTAssertTrue(wrong.text.contains("that email and password do not match"))
            let unknown = try await browser.post("/app/login", ["email": "who@x.test", "password": "nope"])
            XCTAssertEqual(unknown.text.contains("that email and password do not match"), true, "the same answer for an unknown email")
            let ok = try await browser.post(
                "/app/login",
                [
                    "email": email.uppercased(), "password": "correct horse",
                    "next": "/app/reviews",
                ])
            // check: the session cookie is HttpOnly, SameSite=Lax and Secure (https), and next is honoured
            XCTAssertEqual(ok.status, .seeOther)
            XCTAssertEqual(ok.headers.first(name: .location), "/app/reviews")
            let cookie = try XCTUnwrap(ok.headers.first(name: .setCookie))
            XCTAssertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"), cookie)
            // a next outside the dashboard is ignored
            let offsite = try await browser.post(
                "/app/login",
                [
                    "email": email, "password": "correct horse",
                    "next": "//evil.test/app/x",
                ])
            XCTAssertEqual(offsite.headers.first(name: .location), "/app/inbox")
            // five wrong passwords lock the account, even against the right one, with a clear wait
            for _ in 0..<5 {
                _ = try await browser.post("/app/login", ["email": email, "password": "bad guess"])
            }
            let locked = try await browser.post("/app/login", ["email": email, "password": "correct horse"])
            XCTAssertEqual(locked.status, .tooManyRequests)
            XCTAssertTrue(locked.text.contains("too many failed sign-ins: try again in"), locked.text)
            // the session made before still works, and signing out ends it
            let pair = String(cookie.split(separator: ";")[0])
            let inbox = try await server.send(.GET, "/app/inbox", contentType: nil, headers: ["Cookie": pair])
            XCTAssertEqual(inbox.status, .ok)
            let csrf = try XCTUnwrap(StaffClient.csrfToken(in: inbox.text))
            let out = try await server.send(
                .POST, "/app/logout", raw: Data(form(["_csrf": csrf]).utf8),
                contentType: "application/x-www-form-urlencoded", headers: ["Cookie": pair])
            XCTAssertEqual(out.status, .seeOther)
            let after = try await server.send(.GET, "/app/inbox", contentType: nil, headers: ["Cookie": pair])
            XCTAssertEqual(after.status, .seeOther)
            XCTAssertEqual(after.headers.first(name: .location), "/app/login?next=%2Fapp%2Finbox")
            // no cookie at all: sent to sign in; a made-up cookie: the same
            let none = try await server.send(.GET, "/app/customers", contentType: nil)
            XCTAssertEqual(none.status, .seeOther)
            let forged = try await server.send(
                .GET, "/app/inbox", contentType: nil, headers: ["Cookie": "careloop_session=" + String(repeating: "A", count: 43)])
            XCTAssertEqual(forged.status, .seeOther)
        }
    }

    func testFormsNeedTheirCSRFTokenAndAgentsCannotOpenSettings() async throws {
        try await onEachBackend { server in
            // setup: a store, its owner signed in, an agent, a conversation
            let (store, key, owner) = try await server.storeWithOwner()
            _ = try await Team.add(
                storeSlug: store.slug, email: "agent-\(store.slug)@shop.test", name: "Ann Agent", password: "agent password",
                role: .agent, hasher: server.app.care.hasher, storage: server.app.care.storage, on: server.app.db)
            let agent = try await StaffClient.signIn(server, email: "agent-\(store.slug)@shop.test", password: "agent password")
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "c@example.com", name: "Cara", rating: 1, body: "Broken"))
            let id = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()!.id!

            // act + check: without a token, with a wrong one, and with another session's token: refused, nothing written
            for token in ["", "wrong", agent.csrf] {
                let r = try await owner.post("/app/conversations/\(id)/reply", ["body": "sneaky"], csrf: token)
                XCTAssertEqual(r.status, .forbidden, "token '\(token.prefix(6))'")
                XCTAssertTrue(r.text.contains("did not come from CareLoop"))
            }
            let bodies = try await ConversationMessage.query(on: server.app.db).filter(\.$conversationID == id).all().map(\.body)
            XCTAssertFalse(bodies.contains("sneaky"))
            // with it: done
            let good = try await owner.post("/app/conversations/\(id)/reply", ["body": "We're on it"])
            XCTAssertEqual(good.status, .seeOther)
            // a long form arrives in several reads; its token must still be found (it once was not)
            let long = String(repeating: "All the details. ", count: 700)
            let longReply = try await owner.post("/app/conversations/\(id)/reply", ["body": long, "internal": "1"])
            XCTAssertEqual(longReply.status, .seeOther)
            let stored = try await ConversationMessage.query(on: server.app.db).filter(\.$conversationID == id).filter(\.$author == .note).all()
            XCTAssertTrue(stored.contains { $0.body == long.trimmingCharacters(in: .whitespaces) })
            let page = try await owner.get("/app/conversations/\(id)")
            XCTAssertTrue(
                page.text.contains("We&#39;re on it") || page.text.contains("We&#x27;re on it") || page.text.contains("We're on it"), page.text)

            // agents work conversations but never settings, keys or webhooks
            let v1 = try await agent.get("/app/inbox").status
            XCTAssertEqual(v1, .ok)
            let v2 = try await agent.post("/app/conversations/\(id)/reply", ["body": "Agent here", "internal": "1"]).status
            XCTAssertEqual(v2, .seeOther)
            let settings = try await agent.get("/app/settings")
            XCTAssertEqual(settings.status, .forbidden)
            XCTAssertTrue(
                settings.text.contains("Only the store&#39;s owner can open settings") || settings.text.contains("Only the store's owner"),
                settings.text)
            let v3 = try await agent.post("/app/settings/keys", ["name": "agent key"]).status
            XCTAssertEqual(v3, .forbidden)
            let v4 = try await agent.get("/app/inbox").text.contains("href=\"/app/settings\"")
            XCTAssertFalse(v4, "no settings link for agents")
            let keys = try await APIKeys.list(storeID: store.id!, on: server.app.db)
            XCTAssertEqual(keys.count, 1, "the agent made no key")
            // the owner renames the store and sets how long held reviews wait; bad values are refused
            let v5 = try await owner.post("/app/settings/profile", ["name": "Kettle & Co", "hold_days": "3"]).status
            XCTAssertEqual(v5, .seeOther)
            let renamed = try await StoreService.find(id: store.id!, on: server.app.db)
            XCTAssertEqual(renamed.name, "Kettle & Co")
            XCTAssertEqual(renamed.moderationHoldHours, 72)
            let v6 = try await owner.get("/app/inbox").text.contains("CareLoop · </span>Kettle &amp; Co")
            XCTAssertTrue(v6)
            let v7 = try await owner.post("/app/settings/profile", ["name": "x", "hold_days": "90"]).status
            XCTAssertEqual(v7, .unprocessableEntity)
            let v8 = try await owner.post("/app/settings/profile", ["name": " ", "hold_days": "3"]).status
            XCTAssertEqual(v8, .unprocessableEntity)
            let v9 = try await agent.post("/app/settings/profile", ["name": "Agent's shop", "hold_days": "3"]).status
            XCTAssertEqual(v9, .forbidden)
            let v10 = try await owner.get("/app/settings").status
            XCTAssertEqual(v10, .ok)
        }
    }

    func testStaffNeverSeeOrTouchAnotherStoresData() async throws {
        try await onEachBackend { server in
            // setup: store B with a review, a conversation, a customer, a key, a webhook and a dead delivery; A's owner signed in
            let (_, _, a) = try await server.storeWithOwner("a")
            let (storeB, keyB) = try await server.makeStore("b")
            let r = try await server.send(
                .POST, "/api/v1/reviews", key: keyB, json: reviewJSON(email: "b@example.com", name: "Bea B", rating: 1, body: "B's secret"))
            let reviewB = try XCTUnwrap(try r.json["id"] as? String)
            let conversationB = try await Conversation.query(on: server.app.db).filter(\.$storeID == storeB.id!).first()!
            let customerB = conversationB.customerID
            let keyIDB = try await APIKeys.list(storeID: storeB.id!, on: server.app.db)[0].id!
            let hook = try await server.send(.POST, "/api/v1/webhooks", key: keyB, json: ["url": "https://b.test/h", "events": ["review.created"]])
            let hookB = try XCTUnwrap(try hook.json["id"] as? String)
            let triggerB = try await Trigger.query(on: server.app.db).filter(\.$storeID == storeB.id!).first()!.id!
            let deliveryB = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == storeB.id!).first()!.id!
            try await server.app.care.storage.write(on: server.app.db) { sql in
                try await sql.raw("UPDATE outbox SET status = 'dead' WHERE id = \(bind: deliveryB)").run()
            }
            let before = try await snapshot(server, storeB.id!)

            // act: A's owner walks every dashboard route with B's ids
            let gets = [
                "/app/conversations/\(conversationB.id!)", "/app/customers/\(customerB)", "/app/triggers/\(triggerB)",
                "/app/triggers/\(triggerB)/export",
            ]
            for path in gets {
                let page = try await a.get(path)
                XCTAssertEqual(page.status, .notFound, path)
                XCTAssertFalse(page.text.contains("B's secret") || page.text.contains("Bea B"), path)
            }
            let reviews = try await a.get("/app/reviews?review=\(reviewB)")
            XCTAssertFalse(reviews.text.contains("B&#39;s secret") || reviews.text.contains("B's secret"), "B's review is not listed for A")
            let search = try await a.get("/app/customers?q=bea")
            XCTAssertFalse(search.text.contains("b@example.com"))
            let posts: [(String, [String: String])] = [
                ("/app/conversations/\(conversationB.id!)/reply", ["body": "x"]),
                ("/app/conversations/\(conversationB.id!)/reply", ["body": "x", "internal": "1"]),
                ("/app/conversations/\(conversationB.id!)/assign", ["assignee": "me"]),
                ("/app/conversations/\(conversationB.id!)/priority", ["priority": "low"]),
                ("/app/conversations/\(conversationB.id!)/tags", ["tags": "a"]),
                ("/app/conversations/\(conversationB.id!)/resolve", ["note": "x"]),
                ("/app/conversations/\(conversationB.id!)/reopen", [:]),
                ("/app/customers/\(customerB)/notes", ["note": "x"]),
                ("/app/reviews/\(reviewB)/publish", [:]),
                ("/app/reviews/\(reviewB)/reject", ["reason": "x"]),
                ("/app/reviews/\(reviewB)/reply", ["body": "x"]),
                ("/app/settings/keys/\(keyIDB)/revoke", [:]),
                ("/app/settings/webhooks/\(hookB)/test", [:]),
                ("/app/settings/webhooks/\(hookB)/delete", [:]),
                ("/app/settings/deliveries/\(deliveryB)/retry", [:]),
                ("/app/triggers/\(triggerB)", ["name": "x", "event": "review.created", "actions[0][type]": "add_tag", "actions[0][setting]": "x"]),
                (
                    "/app/triggers/\(triggerB)/json",
                    ["json": "{\"name\":\"x\",\"event\":\"review.created\",\"actions\":[{\"type\":\"send_webhook\"}]}"]
                ),
                ("/app/triggers/\(triggerB)/enabled", ["enabled": "0"]),
                ("/app/triggers/\(triggerB)/delete", [:]),
                (
                    "/app/triggers/preview?id=\(triggerB)",
                    ["name": "x", "event": "review.created", "actions[0][type]": "add_tag", "actions[0][setting]": "x"]
                ),
            ]
            for (path, fields) in posts {
                let r = try await a.post(path, fields)
                XCTAssertEqual(r.status, .notFound, path)
            }
            // check: B is exactly as it was
            let after = try await snapshot(server, storeB.id!)
            XCTAssertEqual(after, before)
            // and malformed ids are simply not found
            let v11 = try await a.get("/app/conversations/not-a-uuid").status
            XCTAssertEqual(v11, .notFound)
            let v12 = try await a.post("/app/reviews/../../settings/reject", ["reason": "x"]).status
            XCTAssertEqual(v12, .notFound)
        }
    }

    func testSavedRepliesStartAReplyFilledInForTheCustomer() async throws {
        try await onEachBackend { server in
            // setup: a conversation with Cara, and a saved reply with placeholders
            let (store, key, owner) = try await server.storeWithOwner()
            let (_, _, other) = try await server.storeWithOwner("other")
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(
                    product: "lamp", productName: "Desk Lamp", email: "cara@example.com",
                    name: "Cara Dune", rating: 2, body: "Flickers"))
            let id = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()!.id!
            let made = try await owner.post(
                "/app/settings/saved-replies", ["title": "Replacement", "body": "Hi {{customer.first_name}}, a new {{product.name}} is on its way."])
            XCTAssertEqual(made.status, .seeOther)
            let bad = try await owner.post("/app/settings/saved-replies", ["title": "Broken", "body": "Hi {{customer.nickname}}"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("unknown placeholder {{customer.nickname}}"), bad.text)
            let saved = try await SavedReplies.list(storeID: store.id!, on: server.app.db)
            XCTAssertEqual(saved.map(\.title), ["Replacement"])
            // act: start a reply from it
            let page = try await owner.get("/app/conversations/\(id)?saved=\(saved[0].id!)")
            // check: filled in for this customer and product, in the reply box
            XCTAssertTrue(page.text.contains(">Hi Cara, a new Desk Lamp is on its way.</textarea>"), page.text)
            // another store can neither use nor delete it
            let v13 = try await other.get("/app/conversations/\(id)?saved=\(saved[0].id!)").status
            XCTAssertEqual(v13, .notFound)
            let v14 = try await other.post("/app/settings/saved-replies/\(saved[0].id!)/delete").status
            XCTAssertEqual(v14, .notFound)
            let v15 = try await owner.post("/app/settings/saved-replies/\(saved[0].id!)/delete").status
            XCTAssertEqual(v15, .seeOther)
            let left = try await SavedReplies.list(storeID: store.id!, on: server.app.db)
            XCTAssertTrue(left.isEmpty)
        }
    }

    /// Everything of a store a dashboard action could change, as comparable text.
    func snapshot(_ server: TestServer, _ storeID: UUID) async throws -> [String] {
        let db = server.app.db
        let conversations = try await Conversation.query(on: db).filter(\.$storeID == storeID).all()
            .map { "\($0.status) \($0.priority) \($0.tagsJSON) \(String(describing: $0.assigneeID))" }
        let messages = try await ConversationMessage.query(on: db).filter(\.$storeID == storeID).count()
        let reviews = try await Review.query(on: db).filter(\.$storeID == storeID).all().map { "\($0.status) \(String(describing: $0.statusReason))" }
        let replies = try await ReviewReply.query(on: db).filter(\.$storeID == storeID).count()
        let notes = try await CustomerNote.query(on: db).filter(\.$storeID == storeID).count()
        let keys = try await APIKey.query(on: db).filter(\.$storeID == storeID).all().map { "\($0.revokedAt == nil)" }
        let hooks = try await WebhookEndpoint.query(on: db).filter(\.$storeID == storeID).count()
        let triggers = try await Trigger.query(on: db).filter(\.$storeID == storeID).all().map { "\($0.name) \($0.enabled) \($0.definition)" }
            .sorted()
        let outbox = try await OutboxJob.query(on: db).filter(\.$storeID == storeID).all().map { "\($0.status)" }.sorted()
        return conversations + reviews + keys + outbox + triggers + [
            "messages \(messages)", "replies \(replies)", "notes \(notes)", "hooks \(hooks)",
        ]
    }
}

import Fluent
import Vapor
import XCTest

@testable import CareCore
@testable import CareWeb

/// Working conversations from the inbox: rows that say what is happening now, search and order,
/// send-and-next and resolve opening the view's next conversation, and the warning when a teammate
/// wrote first.
final class CareShiftTests: XCTestCase {
    /// Three unhappy customers in one store, newest last; their conversation ids in inbox order.
    func threeConversations(_ server: TestServer, key: String) async throws -> [String] {
        for (i, who) in ["Ada Quill", "Ben Rook", "Cleo Vance"].enumerated() {
            let r = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(
                    product: "kettle-\(i)", productName: "Kettle \(i)", email: "c\(i)@example.com", name: who, rating: 1,
                    body: "Problem number \(i)"))
            XCTAssertEqual(r.status, .created, r.text)
        }
        return try await server.conversations(key: key).map(\.id)
    }

    func location(_ r: TestServer.Reply) -> String { r.headers.first(name: .location) ?? "" }

    func testRowsSearchSendAndNextAndResolveOpenTheNextConversation() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key, owner) = try await server.storeWithOwner()
            let ids = try await threeConversations(server, key: key)
            XCTAssertEqual(ids.count, 3)
            let first = try XCTUnwrap(UUID(uuidString: ids[0]))
            _ = try await ConversationService.customerReply(
                conversationID: first, storeID: store.id!, body: "Any news?\nSecond line", links: server.app.care.links,
                storage: server.app.care.storage, on: server.app.db)

            // check: the row says the customer wrote last, with the latest message's first line, the product and how long ago
            let inbox = try await owner.get("/app/inbox")
            XCTAssertEqual(inbox.status, .ok)
            XCTAssertTrue(inbox.text.contains("Customer replied</span> Any news?"), inbox.text)
            XCTAssertFalse(inbox.text.contains("Second line"))
            XCTAssertTrue(inbox.text.contains("Kettle 0"))
            XCTAssertTrue(inbox.text.contains("just now"))
            XCTAssertTrue(inbox.text.contains("first reply due in"))
            // search over customer, subject and message text; a % is a literal
            for (q, expected) in [("cleo", 1), ("problem number 1", 1), ("any news", 1), ("100%", 0), ("nobody-here", 0)] {
                let page = try await owner.get("/app/inbox?status=open&who=all&q=" + q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                XCTAssertEqual(page.status, .ok, q)
                XCTAssertEqual(page.text.components(separatedBy: "<a class=\"row").count - 1, expected, q)
            }
            // a NUL would end SQLite's LIKE pattern early and match everything: refused
            let nul = try await owner.get("/app/inbox?q=%25%00")
            XCTAssertEqual(nul.status, .unprocessableEntity)
            let tooLong = try await owner.get("/app/inbox?q=" + String(repeating: "x", count: 101))
            XCTAssertEqual(tooLong.status, .unprocessableEntity)
            let badSort = try await owner.get("/app/inbox?sort=sideways")
            XCTAssertEqual(badSort.status, .unprocessableEntity)
            let oldest = try await owner.get("/app/inbox?status=open&who=all&sort=oldest")
            let a = try XCTUnwrap(oldest.text.range(of: "Ada Quill"))
            let c = try XCTUnwrap(oldest.text.range(of: "Cleo Vance"))
            XCTAssertLessThan(a.lowerBound, c.lowerBound, "oldest first")

            // act: in the "oldest first" view, send and next from the first conversation
            let view = "status=open&who=all&sort=oldest"
            let page = try await owner.get("/app/conversations/\(ids[0])?view=" + view.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            XCTAssertTrue(page.text.contains("1 of 3"), page.text)
            let seenRange = try XCTUnwrap(page.text.range(of: #"name="seen" value="[^"]+""#, options: .regularExpression))
            let seenValue = String(page.text[seenRange].dropFirst(#"name="seen" value=""#.count).dropLast())
            let sent = try await owner.post(
                "/app/conversations/\(ids[0])/reply", ["body": "On it.", "then": "next", "view": view, "seen": seenValue])
            // check: the view's next conversation opens, and the first is waiting for the customer
            XCTAssertEqual(sent.status, .seeOther, sent.text)
            XCTAssertTrue(location(sent).hasPrefix("/app/conversations/\(ids[1])?view="), location(sent))
            // act: resolve the second from the same view
            let resolved = try await owner.post("/app/conversations/\(ids[1])/resolve", ["view": view])
            XCTAssertTrue(location(resolved).hasPrefix("/app/conversations/\(ids[2])?view="), location(resolved))
            // act: send and resolve the last: the view is empty, so back to the inbox view
            let last = try await owner.post("/app/conversations/\(ids[2])/reply", ["body": "Refunded.", "then": "resolve", "view": view])
            XCTAssertEqual(location(last), "/app/inbox?" + view)
            let statuses = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).all()
                .reduce(into: [String: String]()) { $0[$1.id!.uuidString.lowercased()] = $1.status.rawValue }
            XCTAssertEqual(statuses[ids[0].lowercased()], "waiting")
            XCTAssertEqual(statuses[ids[1].lowercased()], "resolved")
            XCTAssertEqual(statuses[ids[2].lowercased()], "resolved")
            let bad = try await owner.post("/app/conversations/\(ids[0])/reply", ["body": "x", "then": "explode"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
        }
    }

    func testPagesOpenedFromASearchedInboxReuseItsSearch() async throws {
        try await onEachBackend { server in
            // setup: three conversations; the inbox searched for "problem" finds them
            let (_, key, owner) = try await server.storeWithOwner()
            let ids = try await threeConversations(server, key: key)
            let view = "status=open&who=all&q=problem"
            let encoded = view.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let inbox = try await owner.get("/app/inbox?" + view)
            XCTAssertEqual(inbox.text.components(separatedBy: "<a class=\"row").count - 1, 3)
            // act: a fourth matching conversation arrives; the second is resolved
            let r = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "kettle-9", productName: "Kettle 9", email: "c9@example.com", name: "Dee", rating: 1, body: "Problem too"))
            XCTAssertEqual(r.status, .created)
            let resolved = try await owner.post("/app/conversations/\(ids[1])/resolve", ["view": view])
            XCTAssertEqual(resolved.status, .seeOther)
            let page = try await owner.get("/app/conversations/\(ids[0])?view=" + encoded)

            // check: previous / next come from the inbox's search (the new one is not there yet), with
            // the view's other conditions applied now (the resolved one is gone)
            XCTAssertTrue(page.text.contains(" of 2<"), page.text)
            // act: the inbox searches afresh, and the pages opened from it follow
            let again = try await owner.get("/app/inbox?" + view)
            XCTAssertEqual(again.text.components(separatedBy: "<a class=\"row").count - 1, 3)
            let after = try await owner.get("/app/conversations/\(ids[0])?view=" + encoded)
            XCTAssertTrue(after.text.contains(" of 3<"), after.text)
        }
    }

    func testASearchKeptForPreviousAndNextExpiresAndIsBounded() {
        // setup
        let searches = InboxSearches(maxAge: 60)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        var view = Inbox.View()
        view.search = "kettle"
        let key = InboxSearches.Key(store: UUID(), staff: UUID(), view: view)
        let ids = (0..<2_000).map { _ in UUID() }
        // act
        searches.put(ids, for: key, now: t0)
        // check: kept for a minute, at most `maxMatches` ids, never from the future
        XCTAssertEqual(searches.ids(key, now: t0.addingTimeInterval(59))?.count, Inbox.maxMatches)
        XCTAssertNil(searches.ids(key, now: t0.addingTimeInterval(60)))
        XCTAssertNil(searches.ids(key, now: t0.addingTimeInterval(-1)))
        // act: many more views than it holds
        for i in 0..<(InboxSearches.maxEntries + 10) {
            var v = Inbox.View()
            v.search = "w\(i)"
            searches.put([UUID()], for: InboxSearches.Key(store: key.store, staff: key.staff, view: v), now: t0.addingTimeInterval(Double(i) / 1000))
        }
        // check
        XCTAssertLessThanOrEqual(searches.count, InboxSearches.maxEntries)
        XCTAssertNil(searches.ids(key, now: t0.addingTimeInterval(30)), "the oldest entries went first")
    }

    func testASendOnAStaleViewIsStoppedWithTheDraftKept() async throws {
        try await onEachBackend { server in
            // setup: the owner and an agent have the same conversation open
            let (store, key, owner) = try await server.storeWithOwner()
            _ = try await Team.add(
                storeSlug: store.slug, email: "maya-\(store.slug)@shop.test", name: "Maya", password: "agent password",
                role: .agent, hasher: server.app.care.hasher, storage: server.app.care.storage, on: server.app.db)
            let maya = try await StaffClient.signIn(server, email: "maya-\(store.slug)@shop.test", password: "agent password")
            let ids = try await threeConversations(server, key: key)
            let ownerPage = try await owner.get("/app/conversations/\(ids[0])")
            let seen = String(
                ownerPage.text[try XCTUnwrap(ownerPage.text.range(of: #"name="seen" value="[^"]+""#, options: .regularExpression))]
                    .dropFirst(#"name="seen" value=""#.count).dropLast())
            let mayaPage = try await maya.get("/app/conversations/\(ids[0])")
            XCTAssertTrue(mayaPage.text.contains("also has this conversation open"), "Maya sees the owner there")

            // act: Maya replies first; then the owner sends from the page loaded before
            let mayaSent = try await maya.post("/app/conversations/\(ids[0])/reply", ["body": "Maya here, sending a new one."])
            XCTAssertEqual(mayaSent.status, .seeOther)
            let activity = try await owner.get("/app/conversations/\(ids[0])/activity?since=\(seen)").json
            let stale = try await owner.post("/app/conversations/\(ids[0])/reply", ["body": "My own answer", "seen": seen])

            // check: refused with a warning naming Maya, the draft kept and not sent
            XCTAssertEqual(activity["new_messages"] as? Int, 1)
            XCTAssertEqual(activity["last_by"] as? String, "Maya")
            XCTAssertEqual(stale.status, .conflict)
            XCTAssertTrue(stale.text.contains("Maya wrote since you opened this conversation"), stale.text)
            XCTAssertTrue(stale.text.contains(">My own answer</textarea>"))
            XCTAssertTrue(stale.text.contains(#"name="force" value="1""#))
            var bodies = try await ConversationMessage.query(on: server.app.db).filter(\.$conversationID == UUID(uuidString: ids[0])!).all().map(
                \.body)
            XCTAssertFalse(bodies.contains("My own answer"))
            // act: send anyway, having seen it
            let forced = try await owner.post("/app/conversations/\(ids[0])/reply", ["body": "My own answer", "seen": seen, "force": "1"])
            XCTAssertEqual(forced.status, .seeOther)
            bodies = try await ConversationMessage.query(on: server.app.db).filter(\.$conversationID == UUID(uuidString: ids[0])!).all().map(\.body)
            XCTAssertTrue(bodies.contains("My own answer"))
            // a note never waits for that check; nonsense in `seen` is ignored, not a 500
            let note = try await owner.post("/app/conversations/\(ids[0])/reply", ["body": "note", "internal": "1", "seen": "0"])
            XCTAssertEqual(note.status, .seeOther)
            let junk = try await owner.post("/app/conversations/\(ids[1])/reply", ["body": "hello", "seen": "nan"])
            XCTAssertEqual(junk.status, .seeOther)
            let junkActivity = try await owner.get("/app/conversations/\(ids[1])/activity?since=1e999")
            XCTAssertEqual(junkActivity.status, .ok)
        }
    }

    func testTheSidePanelShowsOrdersTheReviewedProductAndOtherOpenConversations() async throws {
        try await onEachBackend { server in
            // setup: an order of two items, a 1★ review of one of them, and a second conversation
            let (store, key, owner) = try await server.storeWithOwner()
            let order: [String: Any] = [
                "external_id": "A-1001", "customer": ["email": "dana@example.com", "name": "Dana Scully"], "currency": "EUR", "total": 5_998,
                "fulfilled_at": "2026-11-01T10:00:00Z", "placed_at": "2026-10-30T10:00:00Z",
                "items": [
                    ["product": ["external_id": "kettle", "name": "Gooseneck Kettle"], "quantity": 1, "unit_price": 4_999],
                    ["product": ["external_id": "filter", "name": "Paper Filter"], "quantity": 1, "unit_price": 999],
                ],
            ]
            let placed = try await server.send(.POST, "/api/v1/orders", key: key, json: order)
            XCTAssertTrue([.created, .ok].contains(placed.status), placed.text)
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "kettle", productName: "Gooseneck Kettle", email: "dana@example.com", name: "Dana Scully", rating: 1))
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "filter", productName: "Paper Filter", email: "dana@example.com", name: "Dana Scully", rating: 2))
            let conversations = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).sort(\.$createdAt).all()
            XCTAssertEqual(conversations.count, 2)
            // act
            let page = try await owner.get("/app/conversations/\(conversations[0].id!)")
            // check
            XCTAssertTrue(page.text.contains("<strong>A-1001</strong> · 59.98 EUR · fulfilled 2026-11-01"), page.text)
            XCTAssertTrue(page.text.contains("1 × Gooseneck Kettle at 49.99 EUR"))
            XCTAssertTrue(page.text.contains("the reviewed item"))
            XCTAssertTrue(page.text.contains(#"id="review-product">Gooseneck Kettle</a>"#))
            XCTAssertTrue(page.text.contains("href=\"/app/conversations/\(conversations[1].id!)\""), "the other open conversation is a link")
        }
    }
}

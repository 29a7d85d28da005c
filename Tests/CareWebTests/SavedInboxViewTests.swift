import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// A person names the inbox views they use ("Refunds", "Cleo") and finds them with their counts.
final class SavedInboxViewTests: XCTestCase {
    func testAPersonSavesNamedViewsWithCountsAndOnlyTheirOwn() async throws {
        try await onEachBackend { server in
            // setup: three conversations, one tagged "refund"; an agent in the same store
            let (store, key, owner) = try await server.storeWithOwner()
            for (i, who) in ["Ada Quill", "Ben Rook", "Cleo Vance"].enumerated() {
                _ = try await server.send(
                    .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "k\(i)", email: "v\(i)@example.com", name: who, rating: 1))
            }
            let all = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).all()
            XCTAssertEqual(all.count, 3)
            let tagged = try await owner.post("/app/conversations/\(all[0].id!)/tags", ["tags": "refund"])
            XCTAssertEqual(tagged.status, .seeOther)
            _ = try await Team.add(
                storeSlug: store.slug, email: "ann-\(store.slug)@shop.test", name: "Ann", password: "agent password",
                role: .agent, hasher: server.app.care.hasher, storage: server.app.care.storage, on: server.app.db)
            let agent = try await StaffClient.signIn(server, email: "ann-\(store.slug)@shop.test", password: "agent password")

            // check: the tag picker offers the tags in use
            let inbox = try await owner.get("/app/inbox")
            XCTAssertTrue(inbox.text.contains(#"<option value="refund">refund</option>"#), inbox.text)
            // act: save a tag view and a search view
            let saved = try await owner.post("/app/inbox/views", ["name": "Refunds", "view": "status=open&who=all&tag=refund"])
            XCTAssertEqual(saved.status, .seeOther)
            XCTAssertEqual(saved.headers.first(name: .location), "/app/inbox?status=open&who=all&tag=refund")
            _ = try await owner.post("/app/inbox/views", ["name": "Cleo", "view": "status=open&who=all&q=cleo"])
            // check: both listed with their counts; the agent sees neither
            let mine = try await owner.get("/app/inbox")
            XCTAssertTrue(mine.text.contains(#"class="saved-view">Refunds <span class="count">1</span>"#), mine.text)
            XCTAssertTrue(mine.text.contains(#"class="saved-view">Cleo <span class="count">1</span>"#))
            let theirs = try await agent.get("/app/inbox")
            XCTAssertFalse(theirs.text.contains(#"class="saved-view""#))
            // saving under the same name replaces the view
            _ = try await owner.post("/app/inbox/views", ["name": "Cleo", "view": "status=open&who=all&q=nobody"])
            let replaced = try await owner.get("/app/inbox")
            XCTAssertTrue(replaced.text.contains(#"class="saved-view">Cleo <span class="count">0</span>"#), replaced.text)

            // act / check: removing; somebody else's view is not theirs to remove
            let ids = try await SavedInboxViews.list(storeID: store.id!, staffID: try XCTUnwrap(all.first).customerID, on: server.app.db)
            XCTAssertTrue(ids.isEmpty, "views belong to staff, looked up by staff id")
            let ownerViews = try await StaffUser.query(on: server.app.db).filter(\.$email == "\(store.slug)@owner.test").first()
            let list = try await SavedInboxViews.list(storeID: store.id!, staffID: ownerViews!.id!, on: server.app.db)
            XCTAssertEqual(list.count, 2)
            let byAgent = try await agent.post("/app/inbox/views/\(list[0].id)/delete")
            XCTAssertEqual(byAgent.status, .notFound)
            let removed = try await owner.post("/app/inbox/views/\(list[0].id)/delete")
            XCTAssertEqual(removed.status, .seeOther)
            let after = try await SavedInboxViews.list(storeID: store.id!, staffID: ownerViews!.id!, on: server.app.db)
            XCTAssertEqual(after.map(\.name), ["Cleo"])

            // bad input: no name, a long name, more views than a person keeps
            let empty = try await owner.post("/app/inbox/views", ["name": " ", "view": "status=open"])
            XCTAssertEqual(empty.status, .unprocessableEntity)
            let long = try await owner.post("/app/inbox/views", ["name": String(repeating: "n", count: 41), "view": "status=open"])
            XCTAssertEqual(long.status, .unprocessableEntity)
            for i in 0..<(SavedInboxViews.maxPerPerson - 1) {
                let r = try await owner.post("/app/inbox/views", ["name": "View \(i)", "view": "status=waiting"])
                XCTAssertEqual(r.status, .seeOther)
            }
            let tooMany = try await owner.post("/app/inbox/views", ["name": "One more", "view": "status=open"])
            XCTAssertEqual(tooMany.status, .unprocessableEntity)
        }
    }
}

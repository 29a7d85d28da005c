import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// One customer, two conversations about one problem: a person merges them, and whatever the
/// customer does through the merged one (its page, its reply address) lands in the kept one.
final class ConversationMergeTests: XCTestCase {
    func messages(_ server: TestServer, _ key: String, _ id: UUID) async throws -> [API.Message] {
        try await server.conversation(id.uuidString, key: key).messages ?? []
    }

    func testMergingMovesTheThreadAndTheMergedLinksLeadToTheKeptOne() async throws {
        try await onEachBackend { server in
            // setup: two 1★ reviews from one customer open two conversations; the customer writes on the first's page
            let (store, key, owner) = try await server.storeWithOwner()
            let email = "twice-\(server.backend)@example.com"
            for (i, product) in ["kettle", "lid"].enumerated() {
                let r = try await server.send(
                    .POST, "/api/v1/reviews", key: key,
                    json: reviewJSON(product: product, productName: product, email: email, rating: 1, body: "Bad \(i)"))
                XCTAssertEqual(r.status, .created)
            }
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "someone-else@example.com", rating: 1))
            let all = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).sort(\.$createdAt).all()
            XCTAssertEqual(all.count, 3)
            let (from, into, stranger) = (all[0], all[1], all[2])
            let fromDetail = try await server.send(.GET, "/api/v1/conversations/\(from.id!)", key: key).json
            let fromToken = try XCTUnwrap(URL(string: fromDetail["page_url"] as? String ?? "")?.path)
            _ = try await server.send(.POST, fromToken, raw: Data("body=Also+the+lid.".utf8), contentType: "application/x-www-form-urlencoded")
            let before = try await messages(server, key, from.id!).count + (try await messages(server, key, into.id!).count)
            let page = try await owner.get("/app/conversations/\(into.id!)")
            XCTAssertTrue(page.text.contains(#"name="from" value="\#(from.id!.uuidString)""#), "the side panel offers the merge")

            // act
            let merged = try await owner.post("/app/conversations/\(into.id!)/merge", ["from": from.id!.uuidString])

            // check: every message moved, in time order, with a line saying who merged what; the kept one owes the reply
            XCTAssertEqual(merged.status, .seeOther, merged.text)
            let kept = try await messages(server, key, into.id!)
            XCTAssertEqual(kept.count, before + 1)
            XCTAssertTrue(kept.contains { $0.body == "Also the lid." })
            XCTAssertTrue(kept.contains { $0.body.contains("merged “") }, "\(kept)")
            let dates = kept.map(\.createdAt)
            XCTAssertEqual(dates, dates.sorted())
            let keptRow = try await Conversation.find(into.id!, on: server.app.db)
            XCTAssertEqual(keptRow?.status, .open)
            let fromRow = try await Conversation.find(from.id!, on: server.app.db)
            XCTAssertEqual(fromRow?.status, .resolved)
            XCTAssertEqual(fromRow?.mergedIntoID, into.id)
            XCTAssertNil(fromRow?.slaDueAt)
            let fromPage = try await owner.get("/app/conversations/\(from.id!)")
            XCTAssertTrue(fromPage.text.contains(#"id="merged-notice""#))
            // the merged page link shows, and writes to, the kept conversation
            let customerPage = try await server.send(.GET, fromToken, contentType: nil)
            XCTAssertTrue(customerPage.text.contains("Also the lid."), customerPage.text)
            _ = try await server.send(.POST, fromToken, raw: Data("body=Any+news%3F".utf8), contentType: "application/x-www-form-urlencoded")
            let afterPage = try await messages(server, key, into.id!)
            XCTAssertEqual(afterPage.last?.body, "Any news?")
            // and so does a reply to the merged one's email address
            let inbound = try await server.send(.GET, "/api/v1/settings/inbound-email", key: key).json
            let secret = try XCTUnwrap(inbound["secret"] as? String)
            let raw =
                "From: \(email)\r\nTo: reply+\(from.token)@\(server.app.care.mail.domain)\r\nSubject: Re: x\r\nMessage-ID: <m-\(UUID().uuidString)@example.com>\r\n\r\nBy mail now.\r\n"
            let mailed = try await server.send(
                .POST, "/api/v1/inbound-email", raw: Data(raw.utf8), contentType: "message/rfc822", headers: ["Authorization": "Bearer \(secret)"])
            XCTAssertEqual(mailed.status, .created, mailed.text)
            let afterMail = try await messages(server, key, into.id!)
            XCTAssertEqual(afterMail.last?.body, "By mail now.")

            // bad input: another customer's conversation, itself, merged twice, another store's, junk
            for (what, id, status) in [
                ("another customer", stranger.id!.uuidString, HTTPResponseStatus.unprocessableEntity),
                ("itself", into.id!.uuidString, .unprocessableEntity),
                ("merged already", from.id!.uuidString, .unprocessableEntity), ("junk", "not-an-id", .unprocessableEntity),
                ("unknown", UUID().uuidString, .notFound),
            ] {
                let r = try await owner.post("/app/conversations/\(into.id!)/merge", ["from": id])
                XCTAssertEqual(r.status, status, what)
            }
            let (_, otherKey, otherOwner) = try await server.storeWithOwner("other")
            _ = try await server.send(.POST, "/api/v1/reviews", key: otherKey, json: reviewJSON(email: email, rating: 1))
            let theirs = try await otherOwner.get("/app/inbox")
            XCTAssertEqual(theirs.status, .ok)
            let foreign = try await owner.post("/app/conversations/\(into.id!)/merge", ["from": UUID().uuidString])
            XCTAssertEqual(foreign.status, .notFound)
            let intoForeign = try await otherOwner.post("/app/conversations/\(into.id!)/merge", ["from": from.id!.uuidString])
            XCTAssertEqual(intoForeign.status, .notFound, "another store's staff cannot reach either")
        }
    }
}

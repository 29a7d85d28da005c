import CareCore
import Fluent
import Foundation
import XCTest

@testable import CareWeb

/// What a stranger's attack on the everyday features found (issue 23's attack run), each as it was
/// reproduced: undo across a merge or a later action, another person's undo, "[PS]" read as a
/// language, empty language sections, a customer's words kept in notices after erasure, a flood of
/// notice mails, replies overtaking each other, and a test request's links ending on a 404.
final class EveryDayFindingsTests: XCTestCase {
    func testUndoRefusesWhenTheConversationMovedOnOrItIsSomeoneElses() async throws {
        try await onEachBackend(tweak: { $0.undoSeconds = 30 }) { server in
            // setup: two conversations of one customer, an agent
            let (store, key, owner) = try await server.storeWithOwner("moved")
            _ = try await Team.add(
                storeSlug: store.slug, email: "ag-\(store.slug)@shop.test", name: "Ag", password: "agent password",
                role: .agent, hasher: server.app.care.hasher, storage: server.app.care.storage, on: server.app.db)
            let agent = try await StaffClient.signIn(server, email: "ag-\(store.slug)@shop.test", password: "agent password")
            for product in ["a", "b"] {
                _ = try await server.send(
                    .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: product, email: "m@example.com", name: "Mo", rating: 1, body: "No"))
            }
            let ids = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).sort(\.$createdAt).all().map { $0.id! }
            func action(_ r: TestServer.Reply) throws -> String {
                try XCTUnwrap(r.headers.first(name: .location)?.components(separatedBy: "undo=").last)
            }

            // a reply, then the conversation merged into the other: the undo is refused, the reply stays where it went
            let a1 = try action(try await owner.post("/app/conversations/\(ids[0])/reply", ["body": "MERGEREPLY", "then": "send"]))
            _ = try await owner.post("/app/conversations/\(ids[1])/merge", ["from": ids[0].uuidString])
            let merged = try await owner.post("/app/conversations/\(ids[0])/undo", ["action": a1])
            XCTAssertEqual(merged.status, .conflict, merged.text)
            let kept = try await Conversation.find(ids[0], on: server.app.db)
            XCTAssertEqual(kept?.status, .resolved, "the merged conversation stays resolved")

            // a reply, then a resolve: undoing the first is refused (undo the later one first); the later one undoes
            let b1 = try action(try await owner.post("/app/conversations/\(ids[1])/reply", ["body": "REPLY-B1", "then": "send"]))
            let b2 = try action(try await owner.post("/app/conversations/\(ids[1])/resolve", ["note": ""]))
            let first = try await owner.post("/app/conversations/\(ids[1])/undo", ["action": b1])
            XCTAssertEqual(first.status, .conflict)
            // only the person who acted undoes
            let someoneElse = try await agent.post("/app/conversations/\(ids[1])/undo", ["action": b2])
            XCTAssertEqual(someoneElse.status, .notFound)
            let later = try await owner.post("/app/conversations/\(ids[1])/undo", ["action": b2])
            XCTAssertEqual(later.status, .ok)
            let reopened = try await Conversation.find(ids[1], on: server.app.db)
            XCTAssertEqual(reopened?.status, .waiting, "back to what the reply left: waiting for the customer")
        }
    }

    func testOnlyCareLoopsLanguagesAreMarkersAndNoSectionLeavesTextEmpty() {
        let ps = "Hi,\nsorry.\n[PS]\nWe refund shipping.\n{{store.name}}"
        XCTAssertEqual(CareLanguage.localized(ps, to: .de), ps, "[PS] is text")
        XCTAssertEqual(CareLanguage.localizedLine("Your order [UK] arrived damaged?", to: .en), "Your order [UK] arrived damaged?")
        XCTAssertEqual(CareLanguage.localized("[en]\nHello\n[de]\n   ", to: .de), "Hello", "a blank section is missing, not empty")
        XCTAssertEqual(CareLanguage.localizedLine("About your order [de]", to: .de), "About your order")
        XCTAssertEqual(
            CareLanguage.localized("Hi\n[de]\nHallo\n[en]\nHey\n[de]\nund mehr", to: .de), "Hallo\nund mehr",
            "a language marked twice keeps both parts")
        XCTAssertEqual(CareLanguage.localized("[de]\nNur Deutsch", to: .en), "Nur Deutsch", "never the marker itself")
        XCTAssertNil(CareLanguage.preferred(acceptLanguage: "de;q=nan"), "a quality that is not a number is no preference")
    }

    func testNoticesAreOneAMomentAndLeaveWithTheCustomer() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: a conversation assigned to the owner
            let (store, key, owner) = try await server.storeWithOwner("flood")
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "f@example.com", name: "Flo", rating: 1, body: "No"))
            let c = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()!
            _ = try await owner.post("/app/conversations/\(c.id!)/assign", ["assignee": "me"])
            let detail = try await server.send(.GET, "/api/v1/conversations/\(c.id!)", key: key).json
            let page = try XCTUnwrap(URL(string: try XCTUnwrap(detail["page_url"] as? String))?.path)
            // act: the customer writes five times in a row
            for i in 1...5 {
                let r = try await server.send(.POST, page, raw: Data("body=message+\(i)".utf8), contentType: "application/x-www-form-urlencoded")
                XCTAssertEqual(r.status, .seeOther)
            }
            // check: one notice (with the latest words) and one mail
            let ownerID = try await StaffUser.query(on: server.app.db).filter(\.$email == "\(store.slug)@owner.test").first()!.id!
            let notices = try await StaffNotifications.list(staffID: ownerID, on: server.app.db.sql).filter { $0.kind == .customerReplied }
            XCTAssertEqual(notices.count, 1)
            XCTAssertTrue(notices.first?.text.hasSuffix("message 5") == true, notices.first?.text ?? "")
            try await Task.sleep(nanoseconds: 1_500_000_000)
            let told = sink.messages().filter {
                ($0["rcpt_tos"] as? [String]) == ["\(store.slug)@owner.test"] && ($0["text"] as? String)?.contains("answered") == true
            }
            XCTAssertEqual(told.count, 1)

            // act: the customer is erased; check: their words are gone from the notices
            let erased = try await owner.post("/app/customers/\(c.customerID)/erase", ["confirm": "ERASE"])
            XCTAssertEqual(erased.status, .seeOther, erased.text)
            let after = try await StaffNotifications.list(staffID: ownerID, on: server.app.db.sql)
            XCTAssertTrue(after.isEmpty, "\(after.map(\.text))")
        }
    }

    func testRepliesNeverOvertakeEachOtherAndATestRequestLinkSaysWhatItIs() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            let (store, key, owner) = try await server.storeWithOwner("order")
            let email = "o-\(store.slug)@example.com"
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: email, name: "Oz", rating: 1, body: "No"))
            let id = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()!.id!
            for i in 1...10 { _ = try await owner.post("/app/conversations/\(id)/reply", ["body": "Reply number \(i).", "then": "send"]) }
            let mails = try await sink.waitFor(11, to: email, timeout: 30)
            let numbers = mails.dropFirst().compactMap { m in
                (m["text"] as? String).flatMap { t in (1...10).first { t.contains("Reply number \($0).") } }
            }
            XCTAssertEqual(numbers, Array(1...10), "in the order written")

            // a sample request's link: a page that says it was a test, not a 404
            let token = server.app.care.links.requestToken(RequestMail.sampleRequestID, createdAt: Date())
            let sample = try await server.send(.GET, "/r/\(token)?product=example&stars=5", contentType: nil)
            XCTAssertEqual(sample.status, .gone)
            XCTAssertTrue(sample.text.contains("A test review request"), sample.text)
        }
    }
}

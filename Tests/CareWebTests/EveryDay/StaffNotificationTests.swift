import CareCore
import Fluent
import Foundation
import XCTest

@testable import CareWeb

/// People are told when a customer needs them, by a real SMTP server (aiosmtpd): the owner of a new
/// 1★ conversation nobody has taken, an agent it is handed to, the agent when the customer answers
/// by email (threaded on the same root), and a stop link that stops only its kind.
final class StaffNotificationTests: XCTestCase {
    func testOwnerAgentAndReplyNoticesArriveThreadedAndStopByKind() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: a store, its owner signed in, an agent
            let (store, key, owner) = try await server.storeWithOwner("notice")
            let ownerEmail = "\(store.slug)@owner.test"
            let agentEmail = "agent-\(store.slug)@shop.test"
            _ = try await Team.add(
                storeSlug: store.slug, email: agentEmail, name: "Ann Agent", password: "agent password",
                role: .agent, hasher: server.app.care.hasher, storage: server.app.care.storage, on: server.app.db)
            let agent = try await StaffClient.signIn(server, email: agentEmail, password: "agent password")
            let grace = "grace-\(store.slug)@example.com"

            // act: a 1★ review
            let created = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "kettle", productName: "Gooseneck Kettle", email: grace, name: "Grace Hopper", rating: 1, body: "Leaks."))
            XCTAssertEqual(created.status, .created)

            // check: the care mail, and the owner's notice within 2 s of it
            let care = try await sink.waitFor(1, to: grace)[0]
            let ownerNotice = try await sink.waitFor(1, to: ownerEmail)[0]
            let gap = try XCTUnwrap(ownerNotice["received_at"] as? Double) - XCTUnwrap(care["received_at"] as? Double)
            XCTAssertLessThan(gap, 2, "the owner hears of the 1★ conversation within 2 s of the care mail")
            let ownerText = try XCTUnwrap(ownerNotice["text"] as? String)
            XCTAssertTrue(ownerText.contains("Grace Hopper left 1★ for Gooseneck Kettle"), ownerText)
            XCTAssertEqual(ownerNotice.header("Auto-Submitted"), "auto-generated")
            XCTAssertNotNil(ownerNotice.header("List-Unsubscribe"))
            let root = try XCTUnwrap(ownerNotice.header("In-Reply-To"))
            let owners = try await owner.get("/app/inbox")
            XCTAssertTrue(owners.text.contains("id=\"unread-badge\" aria-label=\"1 unread\""), "a count in the navigation")

            // act: the owner hands it to the agent
            let id = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()!.id!
            let assigned = try await owner.post("/app/conversations/\(id)/assign", ["assignee": agentEmail])
            XCTAssertEqual(assigned.status, .seeOther)
            // check: the agent's notice
            let handoff = try await sink.waitFor(1, to: agentEmail)[0]
            XCTAssertTrue(try XCTUnwrap(handoff["text"] as? String).contains("handed “About your Gooseneck Kettle review” to you"))
            XCTAssertEqual(handoff.header("In-Reply-To"), root, "every notice about one conversation threads on one root")

            // act: the customer answers by email
            let replyTo = try XCTUnwrap(care.header("Reply-To"))
            let settings = try await server.send(.GET, "/api/v1/settings/inbound-email", key: key).json
            let secret = try XCTUnwrap(settings["secret"] as? String)
            let posted = try await server.send(
                .POST, "/api/v1/inbound-email", key: secret,
                raw: rawReply(
                    from: grace, to: replyTo, inReplyTo: care.header("Message-ID"), references: [], messageID: "n-\(UUID())@mail.test",
                    text: "It still drips."), contentType: "message/rfc822")
            XCTAssertEqual(posted.status, .created, posted.text)
            // check: the agent hears of it, threaded
            let answered = try await sink.waitFor(2, to: agentEmail)[1]
            XCTAssertTrue(try XCTUnwrap(answered["text"] as? String).contains("It still drips."))
            XCTAssertEqual(answered.header("In-Reply-To"), root)
            XCTAssertEqual(answered.header("References"), root)
            let agentPage = try await agent.get("/app/notifications")
            XCTAssertTrue(agentPage.text.contains("It still drips."), "the dashboard lists it too")

            // act: the agent stops "customer answered" mails by the link in that mail (a mail program's one-click POST)
            let text = try XCTUnwrap(answered["text"] as? String)
            let stopLine = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("Stop these emails: ") })
            let stopPath = String(stopLine.dropFirst("Stop these emails: https://shop.test".count))
            let page = try await server.send(.GET, stopPath, contentType: nil)
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("id=\"stop\""), "opening the link alone stops nothing: it shows a button")
            let stopped = try await server.send(
                .POST, stopPath, raw: Data("List-Unsubscribe=One-Click".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(stopped.status, .ok, stopped.text)
            let forged = try await server.send(.POST, stopPath.replacingOccurrences(of: "customer_replied", with: "handoff"), contentType: nil)
            XCTAssertEqual(forged.status, .notFound, "a link changed by hand stops nothing")

            // act: the customer answers again, and the owner hands a second conversation to the agent
            _ = try await server.send(
                .POST, "/api/v1/inbound-email", key: secret,
                raw: rawReply(
                    from: grace, to: replyTo, inReplyTo: care.header("Message-ID"), references: [], messageID: "n2-\(UUID())@mail.test",
                    text: "Still dripping today."), contentType: "message/rfc822")
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "mug", productName: "Mug", email: "ben-\(store.slug)@example.com", name: "Ben", rating: 2, body: "Chipped.")
            )
            let second = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$id != id).first()!.id!
            _ = try await owner.post("/app/conversations/\(second)/assign", ["assignee": agentEmail])
            // check: the handoff mail comes; the second answer's does not (only that kind stopped)
            let third = try await sink.waitFor(3, to: agentEmail)[2]
            XCTAssertTrue(try XCTUnwrap(third["text"] as? String).contains("handed"), "handoffs still come")
            try await Task.sleep(nanoseconds: 1_500_000_000)
            let all = sink.messages().filter { ($0["rcpt_tos"] as? [String])?.contains(agentEmail) == true }
            XCTAssertEqual(all.count, 3, "no mail for the stopped kind")
            XCTAssertFalse(all.contains { ($0["text"] as? String)?.contains("Still dripping today.") == true })
            let listed = try await agent.get("/app/notifications")
            XCTAssertTrue(listed.text.contains("Still dripping today."), "the stopped kind still shows in the dashboard")
            XCTAssertTrue(listed.text.contains("id=\"mail-handoff\" checked"))
            XCTAssertFalse(listed.text.contains("id=\"mail-customer_replied\" checked"))
        }
    }
}

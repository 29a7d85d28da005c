import Fluent
import Foundation
import XCTest

@testable import CareCore
@testable import CareWeb

/// Nothing irreversible from one press: a reply or resolution waits out its undo window before its
/// mail is queued, and undoing it takes everything back; a reply sent with its resolution reaches the
/// customer before the resolution mail, every time.
final class UndoAndOrderTests: XCTestCase {
    func testResolveThenUndoSendsNothingAndAnUndoneReplyComesBackToTheBox() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: { c in
            mailConfig(sink)(&c)
            c.undoSeconds = 3
        }) { server in
            // setup: a 1★ conversation whose care mail has gone
            let (store, _, owner, grace, id) = try await conversationAfterCareMail(server, sink: sink, label: "undo", customer: "Grace")

            // act: resolve
            let resolved = try await owner.post("/app/conversations/\(id)/resolve", ["note": "sorted"])
            XCTAssertEqual(resolved.status, .seeOther)
            let location = try XCTUnwrap(resolved.headers.first(name: .location))
            let action = try XCTUnwrap(location.components(separatedBy: "undo=").last)
            // check: resolved at once, the mail held, and the customer's page does not show it yet
            let conversation = try await Conversation.find(id, on: server.app.db)
            XCTAssertEqual(conversation?.status, .resolved)
            let next = try await owner.get(location)
            XCTAssertTrue(next.text.contains("id=\"undo-bar\""), "the next page offers the undo")
            // act: undo
            let undone = try await owner.post("/app/conversations/\(id)/undo", ["action": action])
            XCTAssertEqual(undone.status, .ok, undone.text)
            XCTAssertTrue(undone.text.contains("Undone: nothing was sent to the customer."))
            // check: open again, no resolution mail, ever
            let after = try await Conversation.find(id, on: server.app.db)
            XCTAssertEqual(after?.status, .open)
            XCTAssertNil(after?.resolvedAt)
            let held = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$actionID == UUID(uuidString: action))
                .count()
            XCTAssertEqual(held, 0, "the held mails are gone")
            try await Task.sleep(nanoseconds: 4_000_000_000)
            XCTAssertEqual(sink.messages().filter { ($0["rcpt_tos"] as? [String]) == [grace] }.count, 1, "only the care mail ever went")

            // act: a reply, then undo
            let replied = try await owner.post("/app/conversations/\(id)/reply", ["body": "We are sending a new lid.", "then": "send"])
            let replyAction = try XCTUnwrap(replied.headers.first(name: .location)?.components(separatedBy: "undo=").last)
            let back = try await owner.post("/app/conversations/\(id)/undo", ["action": replyAction])
            // check: the reply is back in the box, not in the thread, and never mailed
            XCTAssertTrue(back.text.contains(">We are sending a new lid.</textarea>"), "the reply returns to the box")
            let messages = try await ConversationMessage.query(on: server.app.db).filter(\.$conversationID == id).filter(\.$author == .staff).count()
            XCTAssertEqual(messages, 1, "only the care trigger's message stays")
            // act: a second undo of the same action, and an undo once the window is over
            let again = try await owner.post("/app/conversations/\(id)/undo", ["action": replyAction])
            XCTAssertEqual(again.status, .notFound)
            let late = try await owner.post("/app/conversations/\(id)/reply", ["body": "Sent for real.", "then": "send"])
            let lateAction = try XCTUnwrap(late.headers.first(name: .location)?.components(separatedBy: "undo=").last)
            let mails = try await sink.waitFor(2, to: grace, timeout: 15)
            XCTAssertTrue((mails[1]["text"] as? String)?.contains("Sent for real.") == true)
            let tooLate = try await owner.post("/app/conversations/\(id)/undo", ["action": lateAction])
            XCTAssertEqual(tooLate.status, .conflict, "once the mail has gone, nothing is undone")
            // another store's owner cannot undo this store's action
            let (_, _, stranger) = try await server.storeWithOwner("other")
            let foreign = try await stranger.post("/app/conversations/\(id)/undo", ["action": lateAction])
            XCTAssertEqual(foreign.status, .notFound)
        }
    }

    func testSendAndResolveDeliversTheReplyBeforeTheResolutionMailTwentyTimesOutOfTwenty() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: 20 conversations, care mails gone
            let (store, key, owner) = try await server.storeWithOwner("order")
            let customers = (0..<20).map { "c\($0)-\(store.slug)@example.com" }
            for email in customers {
                _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: email, name: "Kim", rating: 1, body: "Broken."))
            }
            _ = try await sink.waitFor(20, what: "care mails", timeout: 30) { m in customers.contains((m["rcpt_tos"] as? [String])?.first ?? "") }
            let ids = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).all().map { $0.id! }
            XCTAssertEqual(ids.count, 20)

            // act: send and resolve on each
            for id in ids {
                let r = try await owner.post("/app/conversations/\(id)/reply", ["body": "Reply first.", "then": "resolve"])
                XCTAssertEqual(r.status, .seeOther, r.text)
            }
            // check: each customer got the reply, then the resolution mail, in that order
            let all = try await sink.waitFor(60, what: "mails", timeout: 60) { m in customers.contains((m["rcpt_tos"] as? [String])?.first ?? "") }
            var inOrder = 0
            for email in customers {
                let theirs = all.filter { ($0["rcpt_tos"] as? [String])?.first == email }.map { ($0["text"] as? String) ?? "" }
                XCTAssertEqual(theirs.count, 3, email)
                guard let reply = theirs.firstIndex(where: { $0.contains("Reply first.") }),
                    let resolution = theirs.firstIndex(where: { $0.contains("marked this conversation as resolved") })
                else { continue }
                if reply < resolution { inOrder += 1 }
            }
            XCTAssertEqual(inOrder, 20, "the reply arrives before the resolution mail in every conversation")
        }
    }

    func testAMailBehindAHeldReplyWaitsOutsideTheQueueAndFollowsItOut() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: { c in
            mailConfig(sink)(&c)
            c.undoSeconds = 3
        }) { server in
            // setup: a 1★ conversation whose care mail has gone
            let (store, key, owner, kim, id) = try await conversationAfterCareMail(server, sink: sink, label: "chain", customer: "Kim")

            // act: a reply held for its undo window, then a message through the API behind it
            let held = try await owner.post("/app/conversations/\(id)/reply", ["body": "First, the held reply.", "then": "send"])
            XCTAssertEqual(held.status, .seeOther, held.text)
            let api = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": "Second, from the API."])
            XCTAssertEqual(api.status, .created, api.text)

            // check: the API's mail waits for the held one, outside the due range, and says so
            let pending = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$status == .pending).all()
            XCTAssertEqual(pending.count, 2)
            let first = try XCTUnwrap(pending.first { $0.actionID != nil })
            let second = try XCTUnwrap(pending.first { $0.actionID == nil })
            XCTAssertEqual(second.follows, first.id)
            XCTAssertGreaterThanOrEqual(second.nextAttemptAt, Outbox.waiting)
            let listed = try await server.send(.GET, "/api/v1/outbox?status=pending", key: key)
            let jobs = try XCTUnwrap(listed.json["jobs"] as? [[String: Any]])
            let shown = try XCTUnwrap(jobs.first { ($0["id"] as? String) == second.id!.uuidString })
            XCTAssertEqual(shown["waiting_for"] as? String, first.id!.uuidString)
            XCTAssertTrue(shown["next_attempt_at"] is NSNull, "a waiting mail has no time of its own")

            // check: once the window runs out, both go, the held reply first
            let mails = try await sink.waitFor(3, to: kim, timeout: 30).map { ($0["text"] as? String) ?? "" }
            let a = try XCTUnwrap(mails.firstIndex { $0.contains("First, the held reply.") })
            let b = try XCTUnwrap(mails.firstIndex { $0.contains("Second, from the API.") })
            XCTAssertLessThan(a, b)
        }
    }

    func testAMailWhoseEarlierMailVanishedIsReleased() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: { c in
            mailConfig(sink)(&c)
            c.undoSeconds = 3600
        }) { server in
            // setup: a held reply, and an API message waiting behind it
            let (store, key, owner, lee, id) = try await conversationAfterCareMail(server, sink: sink, label: "stranded", customer: "Lee")
            _ = try await owner.post("/app/conversations/\(id)/reply", ["body": "Held for an hour.", "then": "send"])
            _ = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": "Behind it."])
            let heldJob = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$actionID != nil).first()
            let held = try XCTUnwrap(heldJob)
            // check: nothing to release while the earlier mail is there
            let none = try await OutboxQueue.releaseStranded(storage: server.app.care.storage, on: server.app.db)
            XCTAssertEqual(none, 0)

            // act: the earlier mail vanishes (as when its customer is erased), and the periodic sweep runs
            try await held.delete(on: server.app.db)
            let released = try await OutboxQueue.releaseStranded(storage: server.app.care.storage, on: server.app.db)

            // check: the waiting mail is released and delivered
            XCTAssertEqual(released, 1)
            let mails = try await sink.waitFor(2, to: lee, timeout: 30)
            XCTAssertTrue(mails.contains { (($0["text"] as? String) ?? "").contains("Behind it.") })
        }
    }

    func testMailsQueuedAtOneMomentFormOneLineAndAStaleActionLinkIsIgnored() async throws {
        try await onEachBackend { server in
            // setup: a conversation
            let (store, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "line-\(store.slug)@example.com", rating: 1))
            let conversation = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()
            let c = try XCTUnwrap(conversation)
            try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).delete()
            let storage = server.app.care.storage
            // An hour ahead, so no worker takes one meanwhile.
            let now = storage.now().addingTimeInterval(3600)
            let mail: @Sendable () -> OutboxPayload = { .conversationMessage(messageID: UUID()) }

            // act: three mails at the same moment, then one from an action whose last mail was never kept
            try await storage.write(on: server.app.db) { sql in
                for _ in 0..<3 { try await Outbox.enqueue(mail(), storeID: store.id!, now: now, conversationID: c.id!, on: sql) }
            }
            let action = UndoableAction(now: now, window: 0)
            _ = action.chain(email: UUID()) // as after a write that rolled back
            try await action.binding {
                try await storage.write(on: server.app.db) { sql in
                    try await Outbox.enqueue(mail(), storeID: store.id!, now: now, conversationID: c.id!, on: sql)
                }
            }

            // check: one line, each mail after exactly one other, none pointing at a mail that does not exist
            let jobs = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).all()
            XCTAssertEqual(jobs.count, 4)
            let ids = Set(jobs.map(\.id!))
            let follows = jobs.compactMap(\.follows)
            XCTAssertEqual(follows.count, 3, "all but the first wait")
            XCTAssertEqual(Set(follows).count, 3, "no two mails wait for the same one")
            XCTAssertTrue(follows.allSatisfy(ids.contains), "every mail waits for one that exists")
        }
    }
}

/// A store with its owner signed in, and a customer's 1★ conversation whose care mail reached `sink`.
private func conversationAfterCareMail(
    _ server: TestServer, sink: SMTPSink, label: String, customer name: String
) async throws -> (store: Store, key: String, owner: StaffClient, email: String, id: UUID) {
    let (store, key, owner) = try await server.storeWithOwner(label)
    let email = "\(name.lowercased())-\(store.slug)@example.com"
    _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: email, name: name, rating: 1, body: "It broke."))
    _ = try await sink.waitFor(1, to: email)
    let conversation = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()
    return (store, key, owner, email, try XCTUnwrap(conversation?.id))
}

import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// The loop closes: the care email goes out, the staff reply threads, the customer's emailed reply
/// comes back into the same conversation, and a reply after resolution reopens it.
final class InboundEmailTests: XCTestCase {
    func testCareEmailStaffReplyCustomerReplyResolveAndReopen() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: { c in
            c.smtpURL = "smtp://127.0.0.1:\(sink.port)"
            c.mailDomain = "mail.test"
            c.runOutboxWorker = true
            c.outboxPollSeconds = 0.2
        }) { server in
            // setup: a 1★ review, its care email, and the staff reply
            let (_, key) = try await server.makeStore()
            let (_, otherKey) = try await server.makeStore("other")
            let grace = "grace-in-\(server.backend)@example.com"
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: grace, name: "Grace Hopper", rating: 1, body: "Leaks"))
            let careMail = try await sink.waitFor(1, to: grace)[0]
            let conversationID = try unwrapped(try await server.conversations(key: key).first?.id)
            _ = try await server.send(.POST, "/api/v1/conversations/\(conversationID)/messages", key: key, json: ["body": "Which model do you have?"])
            let staffMail = try await sink.waitFor(2, to: grace)[1]
            let replyTo = try XCTUnwrap(staffMail.header("Reply-To"))
            let staffID = try XCTUnwrap(staffMail.header("Message-ID"))
            let careID = try XCTUnwrap(careMail.header("Message-ID"))
            let settings = try await server.send(.GET, "/api/v1/settings/inbound-email", key: key).json
            let secret = try XCTUnwrap(settings["secret"] as? String)
            XCTAssertEqual(settings["address_domain"] as? String, "mail.test")

            // act: the customer answers by email (Gmail shape: reply on top, quoted history below)
            let reply = rawReply(
                from: grace, to: "Demo <\(replyTo)>", inReplyTo: staffID, references: [careID, staffID],
                messageID: "r1-\(UUID())@gmail.test",
                text:
                    "It's the 1 litre one, bought in May.\n\nOn Mon, 23 Nov 2026 at 11:25, Shop <care@mail.test> wrote:\n> Which model do you have?\n"
            )
            let r = try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: reply, contentType: "message/rfc822")

            // check: in the same conversation, history stripped, back on the store's side
            XCTAssertEqual(r.status, .created, r.text)
            XCTAssertEqual(try r.json["conversation_id"] as? String, conversationID)
            var detail = try await server.conversation(conversationID, key: key)
            var messages = try XCTUnwrap(detail.messages)
            XCTAssertEqual(messages.map(\.author), ["staff", "staff", "customer"])
            XCTAssertEqual(messages.last?.body, "It's the 1 litre one, bought in May.")
            XCTAssertEqual(detail.status, "open")

            // the same email delivered twice is kept once
            let again = try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: reply, contentType: "message/rfc822")
            XCTAssertEqual(again.status, .accepted)
            XCTAssertEqual(try again.json["result"] as? String, "skipped")

            // resolve, then a reply matched by References alone (Outlook shape, sent to the plain address) reopens it
            _ = try await server.send(.POST, "/api/v1/conversations/\(conversationID)/resolve", key: key, json: ["resolution_note": "New lid sent"])
            let late = rawReply(
                from: grace, to: "care@mail.test", inReplyTo: nil, references: [careID],
                messageID: "r2-\(UUID())@outlook.test",
                text: "Got the lid, all good now!\n\n-----Original Message-----\nFrom: Shop\nSent: Monday\n")
            let reopened = try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: late, contentType: "message/rfc822")
            XCTAssertEqual(reopened.status, .created, reopened.text)
            detail = try await server.conversation(conversationID, key: key)
            messages = try XCTUnwrap(detail.messages)
            XCTAssertEqual(messages.last?.body, "Got the lid, all good now!")
            XCTAssertEqual(detail.status, "open", "a customer reply reopens a resolved conversation")
            XCTAssertNil(detail.resolvedAt)

            // bad input: wrong secret, garbage, another store's secret with this store's token, strangers
            let wrong = try await server.send(.POST, "/api/v1/inbound-email", key: "inb_nope", raw: reply, contentType: "message/rfc822")
            XCTAssertEqual(wrong.status, .unauthorized)
            XCTAssertEqual(wrong.errorCode, "invalid_inbound_secret")
            let garbage = try await server.send(
                .POST, "/api/v1/inbound-email", key: secret, raw: Data([0xFF, 0x00, 0x13, 0x37]), contentType: "message/rfc822")
            XCTAssertEqual(garbage.status, .accepted)
            XCTAssertEqual(try garbage.json["result"] as? String, "skipped")
            let otherSettings = try await server.send(.GET, "/api/v1/settings/inbound-email", key: otherKey).json
            let otherSecret = try XCTUnwrap(otherSettings["secret"] as? String)
            let crossStore = rawReply(
                from: grace, to: replyTo, inReplyTo: staffID, references: [staffID], messageID: "x-\(UUID())@evil.test", text: "hijack")
            let crossed = try await server.send(.POST, "/api/v1/inbound-email", key: otherSecret, raw: crossStore, contentType: "message/rfc822")
            XCTAssertEqual(crossed.status, .accepted, "another store's token is skipped")
            let stranger = rawReply(
                from: "who@example.com", to: "care@mail.test", inReplyTo: nil, references: [], messageID: "s-\(UUID())@x.test", text: "hello?")
            let skipped = try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: stranger, contentType: "message/rfc822")
            XCTAssertEqual(try skipped.json["reason"] as? String, "sender is not a customer of this store")
            let json = try await server.send(.POST, "/api/v1/inbound-email", key: secret, json: ["hello": "world"])
            XCTAssertEqual(json.status, .badRequest)
            detail = try await server.conversation(conversationID, key: key)
            XCTAssertEqual(
                detail.messages?.filter { $0.author == "customer" }.count, 2,
                "nothing from the skipped mails landed")

            // a known customer writing fresh (no token, no references) opens a new conversation
            let fresh = rawReply(
                from: grace, to: "care@mail.test", inReplyTo: nil, references: [], messageID: "f-\(UUID())@gmail.test", text: "Another question")
            let opened = try await server.send(.POST, "/api/v1/inbound-email", key: secret, raw: fresh, contentType: "message/rfc822")
            XCTAssertEqual(try opened.json["result"] as? String, "opened", opened.text)
            let total = try await server.send(.GET, "/api/v1/conversations", key: key).json["total"] as? Int
            XCTAssertEqual(total, 2)
        }
    }
}

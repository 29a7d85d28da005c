import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// The whole care loop with real parts: a real server, a real SMTP server (aiosmtpd) and a real
/// webhook receiver. A 1★ review → the care email (with the page link) → the staff reply threads →
/// the customer's raw-MIME reply lands in the same conversation → resolve → the customer updates
/// the review to 4★ on their page → recovery is counted; every step also reaches the webhooks,
/// signed. Then the same with the SMTP server down at first.
final class CareLoopEndToEndTests: XCTestCase {
    func testOneStarReviewToRecoveryWithEmailAndWebhooks() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            try await runLoop(server, sink: sink, label: "up", smtpDownAtFirst: false)
        }
    }

    func testTheSameLoopWithTheSMTPServerDownForAWhile() async throws {
        let sink = SMTPSink()
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            sink.stop() // the mail server is down when the review arrives; runLoop starts it later
            try await runLoop(server, sink: sink, label: "down", smtpDownAtFirst: true)
        }
        sink.stop()
    }

    func runLoop(_ server: TestServer, sink: SMTPSink, label: String, smtpDownAtFirst: Bool) async throws {
        // setup: a store with a webhook endpoint on a real receiver
        let hooks = WebhookReceiver()
        try hooks.start()
        defer { hooks.stop() }
        let (store, key) = try await server.makeStore()
        let hook = try await server.send(.POST, "/api/v1/webhooks", key: key, json: ["url": hooks.url, "events": Webhooks.events])
        XCTAssertEqual(hook.status, .created, hook.text)
        let secret = try XCTUnwrap(try hook.json["secret"] as? String)
        XCTAssertTrue(secret.hasPrefix("whsec_"))
        try hooks.trust(secret: secret)
        let grace = "grace-\(label)-\(server.backend)@example.com"

        // act: a 1★ review
        let created = try await server.send(
            .POST, "/api/v1/reviews", key: key,
            json: reviewJSON(
                product: "kettle", productName: "Gooseneck Kettle", email: grace, name: "Grace Hopper", rating: 1, body: "The lid leaks."))
        XCTAssertEqual(created.status, .created)
        let reviewID = try XCTUnwrap(try created.json["id"] as? String)
        XCTAssertEqual(try created.json["status"] as? String, "published", "care never holds a review")

        if smtpDownAtFirst {
            // check: the care email waits in the outbox with its error, then the server comes back
            let job = try await server.emailJobAfterRetries(storeID: store.id!)
            XCTAssertEqual(job?.status, .pending)
            XCTAssertGreaterThanOrEqual(job?.attempts ?? 0, 2)
            XCTAssertTrue(job?.lastError?.contains("cannot connect") == true, job?.lastError ?? "no error")
            try sink.start()
        }

        // check: the customer receives the care email, with the page link and a reply address
        let careMail = try await sink.waitFor(1, to: grace, timeout: 20)[0]
        XCTAssertEqual(careMail["rcpt_tos"] as? [String], [grace])
        let careText = try XCTUnwrap(careMail["text"] as? String)
        XCTAssertTrue(careText.contains("Hi Grace,"), careText)
        let page = try XCTUnwrap(pagePath(in: careText), careText)
        let replyTo = try XCTUnwrap(careMail.header("Reply-To"))
        let careID = try XCTUnwrap(careMail.header("Message-ID"))
        let pageView = try await server.send(.GET, page, contentType: nil)
        XCTAssertEqual(pageView.status, .ok)
        XCTAssertTrue(pageView.text.contains("Your review of Gooseneck Kettle"), "the page offers the review update")

        // act: the staff reply
        let conversationID = try unwrapped(try await server.conversations(key: key).first?.id)
        _ = try await server.send(
            .POST, "/api/v1/conversations/\(conversationID)/messages", key: key,
            json: ["body": "So sorry. A new lid is on its way today."])
        let staffMail = try await sink.waitFor(2, to: grace)[1]
        // check: threaded on the care email
        XCTAssertEqual(staffMail.header("In-Reply-To"), careID)
        XCTAssertEqual(staffMail.header("Subject"), "Re: About your Gooseneck Kettle review")
        let staffID = try XCTUnwrap(staffMail.header("Message-ID"))

        // act: the customer answers by email, raw MIME as a mail system posts it
        let fetched1 = try await server.send(.GET, "/api/v1/settings/inbound-email", key: key).json["secret"] as? String
        let inboundSecret = try XCTUnwrap(fetched1)
        let replyID = "e2e-\(UUID())@gmail.test"
        let reply = rawReply(
            from: grace, to: replyTo, inReplyTo: staffID, references: [careID, staffID], messageID: replyID,
            text: "Thank you, the new lid fits.\n\nOn Mon, 23 Nov 2026 at 11:25, Shop <care@mail.test> wrote:\n> So sorry.\n")
        let posted = try await server.send(.POST, "/api/v1/inbound-email", key: inboundSecret, raw: reply, contentType: "message/rfc822")
        // check: the same conversation, quote stripped
        XCTAssertEqual(posted.status, .created, posted.text)
        XCTAssertEqual(try posted.json["conversation_id"] as? String, conversationID)
        let thread = try await server.conversation(conversationID, key: key)
        XCTAssertEqual(thread.messages?.last?.body, "Thank you, the new lid fits.")

        // act: resolve
        let resolved = try await server.send(
            .POST, "/api/v1/conversations/\(conversationID)/resolve", key: key,
            json: ["resolution_note": "Replacement lid sent"])
        XCTAssertEqual(try resolved.decoded(API.Conversation.self).status, "resolved")
        // check: one invitation to update the review, if they wish, offering nothing for it
        let invitation = try await sink.waitFor(3, to: grace)[2]
        let invitationText = try XCTUnwrap(invitation["text"] as? String)
        XCTAssertTrue(invitationText.contains("If you'd like to, you can update your review"), invitationText)
        XCTAssertTrue(invitationText.contains("nothing we have offered or agreed depends on it"), invitationText)
        XCTAssertEqual(invitation.header("In-Reply-To"), "<\(replyID)>", "the invitation threads on the customer's own reply")
        let invitationPage = try XCTUnwrap(pagePath(in: invitationText))

        // act: the customer updates the review to 4★ on their page
        let form = try await server.send(.GET, invitationPage, contentType: nil)
        XCTAssertTrue(form.text.contains("action=\"\(invitationPage)/review\""), form.text)
        let update = try await server.send(
            .POST, invitationPage + "/review",
            raw: Data("rating=4&title=Sorted&body=The+replacement+lid+fits+and+it+pours+well.".utf8),
            contentType: "application/x-www-form-urlencoded")
        XCTAssertEqual(update.status, .seeOther, update.text)

        // check: the review keeps its history, the summary counts it at 4★, recovery is counted
        let review = try await server.send(.GET, "/api/v1/reviews/\(reviewID)", key: key).decoded(API.Review.self)
        XCTAssertEqual(review.rating, 4)
        XCTAssertEqual(review.status, "published")
        let history = try XCTUnwrap(review.history)
        XCTAssertEqual(history.map(\.previousRating), [1])
        XCTAssertEqual(history.first?.previousBody, "The lid leaks.")
        let summary = try await server.publicSummary(store.slug, "kettle")
        XCTAssertEqual(summary.count, 1)
        XCTAssertEqual(summary.distribution["4"], 1)
        XCTAssertEqual(summary.distribution["1"], 0)
        let recovery = try await server.send(.GET, "/api/v1/reports/recovery", key: key).json
        XCTAssertEqual(recovery["cared_for"] as? Int, 1)
        XCTAssertEqual(recovery["recovered"] as? Int, 1)
        XCTAssertEqual(recovery["rate"] as? Double, 1)
        let recovered = try XCTUnwrap((recovery["reviews"] as? [[String: Any]])?.first)
        XCTAssertEqual(recovered["before"] as? Int, 1)
        XCTAssertEqual(recovered["after"] as? Int, 4)
        XCTAssertEqual(recovered["conversation_id"] as? String, conversationID)

        // check: the webhooks, each signed (checked by the receiver with Python's hmac), each id once
        let updatedHook = try await hooks.waitFor(1, event: "review.updated")[0]
        XCTAssertEqual((updatedHook.webhookBody?["data"] as? [String: Any])?["previous_rating"] as? Int, 1)
        XCTAssertEqual((updatedHook.webhookBody?["data"] as? [String: Any])?["rating"] as? Int, 4)
        _ = try await hooks.waitFor(1, event: "conversation.resolved")
        let all = hooks.records()
        let counts = Dictionary(grouping: all, by: { $0.event ?? "?" }).mapValues(\.count)
        XCTAssertEqual(counts["review.created"], 1)
        XCTAssertEqual(counts["conversation.opened"], 1)
        XCTAssertEqual(counts["conversation.resolved"], 1)
        XCTAssertEqual(counts["review.updated"], 1)
        // care message, staff reply, customer reply, "Resolved", invitation, "updated their review"
        XCTAssertGreaterThanOrEqual(counts["conversation.message_created"] ?? 0, 6, "\(counts)")
        for record in all {
            XCTAssertEqual(record["signature_valid"] as? Bool, true, "\(record)")
            XCTAssertTrue(record.header("webhook-id")?.hasPrefix("msg_") == true)
        }
        XCTAssertEqual(Set(all.compactMap { $0.header("webhook-id") }).count, all.count, "each event posted once")
        let createdHook = try XCTUnwrap(all.first { $0.event == "review.created" }?.webhookBody?["data"] as? [String: Any])
        XCTAssertEqual(createdHook["id"] as? String, reviewID)
        XCTAssertEqual((createdHook["customer"] as? [String: Any])?["email"] as? String, grace)
    }
}

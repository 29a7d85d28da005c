import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Review requests in the customer's own words and language: a reply to the request email, and the
/// order's locale choosing the email's language.
extension ReviewRequestTests {
    /// A reply to the request email reaches a person: a conversation about that order, joined by any
    /// later reply, and no reminder after it. Only the buyer the email went to can start it.
    func testAReplyToTheRequestEmailBecomesTheOrdersConversation() async throws {
        let sink = SMTPSink()
        try sink.start()
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: the request email reaches the buyer
            let (store, key) = try await server.makeStore()
            try await allHoursAllowed(store, server)
            let buyer = "replier-\(server.backend)@example.com"
            let order = try await server.send(
                .POST, "/api/v1/orders", key: key, json: orderJSON(id: "R-1", email: buyer, fulfilledDaysAgo: 8, products: [("kettle", "Kettle")]))
            XCTAssertEqual(order.status, .created, order.text)
            _ = try await sweep(server.app.care.storage, store, server)
            let mails = try await sink.waitFor(1, to: buyer)
            let mail = try XCTUnwrap(mails.first)
            let requestMessageID = try XCTUnwrap(mail.header("Message-ID")).trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
            let settings = try await server.send(.GET, "/api/v1/settings/inbound-email", key: key).json
            let secret = try XCTUnwrap(settings["secret"] as? String)
            func reply(from: String, text: String) async throws -> TestServer.Reply {
                let raw = """
                    From: \(from)\r
                    To: care@\(server.app.care.mail.domain)\r
                    Subject: Re: How was your order?\r
                    Message-ID: <r-\(UUID().uuidString)@example.com>\r
                    In-Reply-To: <\(requestMessageID)>\r
                    \r
                    \(text)\r

                    """
                return try await server.send(
                    .POST, "/api/v1/inbound-email", raw: Data(raw.utf8), contentType: "message/rfc822", headers: ["Authorization": "Bearer \(secret)"]
                )
            }

            // act: someone else answers with the same In-Reply-To
            let stranger = try await reply(from: "someone-else@example.com", text: "Let me in")
            // check: skipped, nothing opened
            XCTAssertEqual(stranger.status, .accepted, stranger.text)
            var conversations = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(conversations, 0)

            // act: the buyer answers, twice
            let first = try await reply(from: buyer, text: "The kettle whistles too loud.")
            let second = try await reply(from: buyer, text: "Also the lid.")
            // check: one conversation about the order with both messages; the reminder will not follow
            XCTAssertEqual(first.status, .created, first.text)
            XCTAssertEqual(second.status, .created, second.text)
            conversations = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(conversations, 1)
            let found = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()
            let c = try XCTUnwrap(found)
            XCTAssertEqual(c.subject, "Help with order R-1")
            let messages = try await ConversationMessage.query(on: server.app.db).filter(\.$conversationID == c.id!).all().map(\.body)
            XCTAssertEqual(Set(messages), ["The kettle whistles too loud.", "Also the lid."])
            let r = try await request(for: buyer, store, server)
            XCTAssertNil(r.nextSendAt)
            XCTAssertEqual(r.stoppedReason, "replied")
            XCTAssertEqual(r.conversationID, c.id)
        }
    }
}

extension ReviewRequestTests {
    /// The buyer's language from the order's `locale`, when CareLoop speaks it; the store's otherwise.
    func testTheOrdersLocaleChoosesTheRequestsLanguage() async throws {
        let sink = SMTPSink()
        try sink.start()
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            let (store, key) = try await server.makeStore()
            try await allHoursAllowed(store, server)
            // act: three orders, in Austrian German, in French (not spoken: the store's English), and a bad tag
            for (id, locale) in [("L-de", "de-AT"), ("L-fr", "fr_FR")] {
                var json = orderJSON(
                    id: id, email: "\(id.lowercased())-\(server.backend)@example.com", fulfilledDaysAgo: 8, products: [("kettle", "Kettle")])
                json["locale"] = locale
                let r = try await server.send(.POST, "/api/v1/orders", key: key, json: json)
                XCTAssertEqual(r.status, .created, r.text)
                XCTAssertEqual(try r.json["locale"] as? String, locale, "stored as sent")
            }
            var bad = orderJSON(id: "L-x", email: "x-\(server.backend)@example.com", fulfilledDaysAgo: 8, products: [("kettle", "Kettle")])
            bad["locale"] = "de-AT\r\nBcc: x@evil.example"
            let refused = try await server.send(.POST, "/api/v1/orders", key: key, json: bad)
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertTrue(refused.text.contains("locale"), refused.text)
            _ = try await sweep(server.app.care.storage, store, server)

            // check
            let german = try await sink.waitFor(1, to: "l-de-\(server.backend)@example.com")
            XCTAssertEqual(german.first?.header("Subject"), "Wie war Ihre Bestellung bei \(store.name)?")
            let french = try await sink.waitFor(1, to: "l-fr-\(server.backend)@example.com")
            XCTAssertEqual(french.first?.header("Subject"), "How was your order from \(store.name)?")
        }
    }
}

import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// "Talk to us": the hosted help page. Whatever address is typed, nothing reaches a customer record
/// until the address's owner presses the button behind the link mailed to it.
final class HelpPageTests: XCTestCase {
    func form(_ fields: [String: String]) -> Data {
        var c = URLComponents()
        c.queryItems = fields.map { URLQueryItem(name: $0.key, value: $0.value) }
        return Data((c.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B").utf8)
    }

    func testAMessageBecomesAConversationOnlyWhenItsAddressConfirms() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            let path = "/s/\(store.slug)/help"
            let email = "helpme-\(server.backend)@example.com"
            let conversationsBefore = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).count()

            // act: bad input
            let bad = try await server.send(
                .POST, path, raw: form(["email": "not-an-address", "message": "Keep this text"]), contentType: "application/x-www-form-urlencoded")
            // check: 422, the form again with what was typed and what to fix
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("email: is not an email address"), bad.text)
            XCTAssertTrue(bad.text.contains("Keep this text"), "nothing typed is lost")
            let linkName = try await server.send(
                .POST, path, raw: form(["email": email, "name": "www.spam.example", "message": "x"]), contentType: "application/x-www-form-urlencoded"
            )
            XCTAssertEqual(linkName.status, .unprocessableEntity)
            let twoLines = try await server.send(
                .POST, path, raw: form(["email": email, "name": "Bob\r\nX-Evil: 1", "message": "x"]), contentType: "application/x-www-form-urlencoded"
            )
            XCTAssertEqual(twoLines.status, .unprocessableEntity)
            XCTAssertTrue(twoLines.text.contains("name: must be one line"), twoLines.text)

            // act: twice with the same address
            for message in ["My order A-9 arrived broken", "Hello again"] {
                let sent = try await server.send(
                    .POST, path, raw: form(["email": email, "name": "Hana", "order": "A-9", "message": message]),
                    contentType: "application/x-www-form-urlencoded")
                XCTAssertEqual(sent.status, .ok, sent.text)
                XCTAssertTrue(sent.text.contains("We sent a link"), sent.text)
            }
            // check: one mail a day per address, with the store's name only
            let mails = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).all()
                .map { $0.payload.replacingOccurrences(of: "\\/", with: "/") }.filter { $0.contains("Please confirm your message") }
            XCTAssertEqual(mails.count, 1, "the form cannot mail-bomb an address")
            XCTAssertFalse(mails[0].contains("broken"), "nothing a stranger typed is mailed")
            let token = try XCTUnwrap(mails[0].range(of: #"/help/[A-Za-z0-9_.~-]+"#, options: .regularExpression).map { String(mails[0][$0]) })
            let unconfirmed = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$email == email).count()
            XCTAssertEqual(unconfirmed, 0, "no customer record for an address nobody confirmed")

            // act: a mail scanner opens the link
            let opened = try await server.send(.GET, token, contentType: nil)
            // check: the message shown (escaped), nothing opened
            XCTAssertEqual(opened.status, .ok)
            XCTAssertTrue(opened.text.contains("My order A-9 arrived broken"), opened.text)
            XCTAssertTrue(opened.text.contains("Hello again"), "every unsent message of the address is listed, each with its own button")
            XCTAssertTrue(opened.text.contains("name given: Hana"), "the name goes nowhere unseen")
            var count = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(count, conversationsBefore)

            // act: the button, twice
            let confirmed = try await server.send(.POST, token, contentType: nil)
            let again = try await server.send(.POST, token, contentType: nil)
            // check: one conversation with the customer, their words first; both lead to its page
            XCTAssertEqual(confirmed.status, .seeOther, confirmed.text)
            XCTAssertTrue(confirmed.headers.first(name: .location)?.hasPrefix("/c/") == true)
            XCTAssertEqual(again.headers.first(name: .location)?.hasPrefix("/c/"), true)
            count = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(count, conversationsBefore + 1)
            let subjects = try await server.conversations(key: key).map(\.subject)
            XCTAssertTrue(subjects.contains("Help request"), "A-9 is not this customer's order: not named \(subjects)")

            // act: the page again: the other message can still be sent by its own button
            let rest = try await server.send(.GET, token, contentType: nil)
            XCTAssertFalse(rest.text.contains("My order A-9 arrived broken"), "sent already")
            let otherID = try XCTUnwrap(
                rest.text.range(of: #"name="request" value="[0-9A-F-]{36}""#, options: .regularExpression).map {
                    String(rest.text[$0].dropFirst(22).dropLast())
                })
            let sentOther = try await server.send(.POST, token, raw: form(["request": otherID]), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(sentOther.status, .seeOther, sentOther.text)
            count = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(count, conversationsBefore + 2)

            // check: a forged or another store's link opens nothing
            let forged = try await server.send(.GET, token + "x", contentType: nil)
            XCTAssertEqual(forged.status, .notFound)
            let otherStore = try await server.send(.GET, "/s/no-such-store/help", contentType: nil)
            XCTAssertEqual(otherStore.status, .notFound)
        }
    }
}

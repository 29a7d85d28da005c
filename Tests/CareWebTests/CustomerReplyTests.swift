import Fluent
import Vapor
import XCTest

@testable import CareCore
@testable import CareWeb

/// The customer replied: by email or on their page, one path, so a trigger sees the same facts.
final class CustomerReplyTests: XCTestCase {
    func testARepliedTriggerOnTheReviewsStarsFiresForAReplyByEmailAndOnThePageAlike() async throws {
        try await onEachBackend { server in
            // setup: a trigger for unhappy reviewers who write back, and two 1★ reviews with their conversations
            let (store, key) = try await server.makeStore()
            let trigger: [String: Any] = [
                "name": "Unhappy reviewer wrote back", "event": "conversation.customer_replied",
                "conditions": ["all": [["attribute": "review.rating", "op": "lte", "value": 2]]],
                "actions": [["type": "add_tag", "tag": "unhappy-reply"]],
            ]
            let made = try await server.send(.POST, "/api/v1/triggers", key: key, json: trigger)
            XCTAssertEqual(made.status, .created, made.text)
            func conversation(of email: String) async throws -> Conversation {
                _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: email, rating: 1, body: "Broke in a week."))
                let found = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$email == email).first()
                let customer = try XCTUnwrap(found)
                let opened = try await Conversation.query(on: server.app.db).filter(\.$customerID == customer.id!).first()
                return try XCTUnwrap(opened, "the 1★ review opened a conversation")
            }
            let onPage = try await conversation(of: "page-\(server.backend)@example.com")
            let byMail = try await conversation(of: "mail-\(server.backend)@example.com")

            // act: one replies on the page, the other by email
            let pageLink = try unwrapped(try await server.conversation(onPage.id!.uuidString, key: key).pageUrl)
            let token = String(try XCTUnwrap(URL(string: pageLink)?.path).dropFirst("/c/".count))
            let posted = try await server.send(
                .POST, "/c/\(token)", raw: Data("body=Still+broken.".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(posted.status, .seeOther)
            let settings = try await server.send(.GET, "/api/v1/settings/inbound-email", key: key).json
            let secret = try XCTUnwrap(settings["secret"] as? String)
            let raw = """
                From: mail-\(server.backend)@example.com\r
                To: reply+\(byMail.token)@\(server.app.care.mail.domain)\r
                Subject: Re: your review\r
                Message-ID: <reply-\(UUID().uuidString)@example.com>\r
                \r
                Still broken.\r

                """
            let mailed = try await server.send(
                .POST, "/api/v1/inbound-email", raw: Data(raw.utf8), contentType: "message/rfc822",
                headers: ["Authorization": "Bearer \(secret)"])
            XCTAssertEqual(mailed.status, .created, mailed.text)

            // check: the trigger fired for both replies
            for c in [onPage, byMail] {
                let detail = try await server.conversation(c.id!.uuidString, key: key)
                XCTAssertEqual(detail.tags, ["unhappy-reply"], "conversation of \(c.customerID)")
                XCTAssertEqual(detail.messages?.last?.body, "Still broken.")
            }
        }
    }
}

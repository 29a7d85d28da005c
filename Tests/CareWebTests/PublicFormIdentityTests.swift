import Fluent
import NIOCore
import NIOPosix
import SQLKit
import Vapor
import XCTest

@testable import CareCore
@testable import CareWeb

/// The attack corpus: one test per class of finding from the security review (issue 8), each tried

/// 4 — nothing unauthenticated claims an identity.
final class PublicFormIdentityTests: XCTestCase {
    func testAPublicReviewInACustomersNameIsUnverifiedUntilTheAddressConfirms() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: Maya bought the lamp
            let (store, key) = try await server.makeStore()
            let maya = "maya-\(server.backend)-\(UUID().uuidString.prefix(6))@example.com".lowercased()
            _ = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: [
                    "external_id": "O1", "customer": ["email": maya, "name": "Maya Buyer"],
                    "items": [["product": ["external_id": "lamp", "name": "Lamp"], "quantity": 1]],
                ])
            let path = "/api/v1/public/stores/\(store.slug)/products/lamp/reviews"
            // act: anyone posts a 1★ review in her name
            let r = try await server.send(.POST, path, json: ["rating": 1, "body": "awful", "author_name": "Maya B", "author_email": maya])
            // check: published, unverified, not on her profile, no care conversation and no care mail
            XCTAssertEqual(r.status, .created, r.text)
            XCTAssertEqual(try r.json["verified"] as? Bool, false)
            let reviewID = try XCTUnwrap(try r.json["id"] as? String)
            let mayaRowFound = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$email == maya).first()
            let mayaRow = try XCTUnwrap(mayaRowFound)
            let before = try await CustomerProfile.figures(customerID: mayaRow.id!, storeID: store.id!, on: server.app.db)
            XCTAssertEqual(before.reviewCount, 0, "the review is not attached to her")
            let convos = try await server.send(.GET, "/api/v1/conversations", key: key).json["conversations"] as? [Any]
            XCTAssertEqual(convos?.count, 0, "no care for an unconfirmed claim")
            // one confirmation mail, and no second one the same day however often the form is used
            let mails = try await sink.waitFor(1, to: maya)
            _ = try await server.send(.POST, path, json: ["rating": 2, "body": "again", "author_name": "Maya B", "author_email": maya])
            try await Task.sleep(nanoseconds: 1_000_000_000)
            XCTAssertEqual(sink.messages().filter { ($0["rcpt_tos"] as? [String])?.contains(maya) == true }.count, 1)
            let text = try XCTUnwrap(mails[0]["text"] as? String ?? mails[0]["body"] as? String)
            XCTAssertFalse(text.contains("Maya B"), "nothing the stranger typed is in the mail")
            let start = try XCTUnwrap(text.range(of: "https://shop.test/confirm/"))
            let confirmPath = "/confirm/" + text[start.upperBound...].prefix { !$0.isWhitespace }
            // a scanner opening the link changes nothing
            let opened = try await server.send(.GET, confirmPath, contentType: nil)
            XCTAssertEqual(opened.status, .ok)
            XCTAssertTrue(opened.text.contains("Yes, I wrote this review"))
            // every review posted with the address is shown with its words, so only what they wrote is confirmed
            XCTAssertTrue(opened.text.contains("awful") && opened.text.contains("again"), "both pending reviews are listed")
            let still = try await server.send(.GET, "/api/v1/reviews/\(reviewID)", key: key).json
            XCTAssertEqual(still["verified"] as? Bool, false)
            // a forged link is not found
            let forged = try await server.send(.POST, String(confirmPath.dropLast(3)) + "abc", contentType: nil)
            XCTAssertEqual(forged.status, .notFound)
            // act: she confirms
            let confirmed = try await server.send(.POST, confirmPath, raw: Data(), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(confirmed.status, .ok, confirmed.text)
            // check: now hers, verified by her order, and care starts (a conversation and its mail)
            let after = try await server.send(.GET, "/api/v1/reviews/\(reviewID)", key: key).json
            XCTAssertEqual(after["verified"] as? Bool, true)
            let figures = try await CustomerProfile.figures(customerID: mayaRow.id!, storeID: store.id!, on: server.app.db)
            XCTAssertEqual(figures.reviewCount, 1)
            _ = try await sink.waitFor(2, to: maya)
            let opened2 = try await server.send(.GET, "/api/v1/conversations", key: key).json["conversations"] as? [Any]
            XCTAssertEqual(opened2?.count, 1)
            // confirming twice does nothing more
            let again = try await server.send(.POST, confirmPath, raw: Data(), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(again.status, .ok)
            let stillOne = try await server.send(.GET, "/api/v1/conversations", key: key).json["conversations"] as? [Any]
            XCTAssertEqual(stillOne?.count, 1)
            // a name that is a link is refused
            let spam = try await server.send(
                .POST, path,
                json: [
                    "rating": 5, "author_name": "WIN-A-PRIZE-at-http://evil.example/claim",
                    "author_email": "stranger@example.com",
                ])
            XCTAssertEqual(spam.status, .unprocessableEntity)
            XCTAssertEqual(try spam.apiError.field, "author_name")
        }
    }
}

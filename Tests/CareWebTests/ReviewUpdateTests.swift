import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// The customer's own update of their review, from their page: history kept, the summary exact,
/// content rules applied as to any review, and bad input refused without losing anything.
final class ReviewUpdateTests: XCTestCase {
    /// A 1★ review and the path of its conversation's page.
    func reviewWithPage(_ server: TestServer, key: String, email: String) async throws -> (reviewID: String, conversationID: String, page: String) {
        let r = try await server.send(
            .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "mug", productName: "Mug", email: email, rating: 1, body: "Cracked"))
        let reviewID = try r.decoded(API.Review.self).id
        let conversationID = try unwrapped(try await server.conversations(key: key).first?.id)
        let url = try unwrapped(try await server.conversation(conversationID, key: key).pageUrl)
        return (reviewID, conversationID, try XCTUnwrap(URL(string: url)?.path))
    }

    func form(_ server: TestServer, _ path: String, _ body: String) async throws -> TestServer.Reply {
        try await server.send(.POST, path, raw: Data(body.utf8), contentType: "application/x-www-form-urlencoded")
    }

    func testUpdatesKeepHistoryAndTheSummaryExactAndFollowContentRules() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            let (reviewID, _, page) = try await reviewWithPage(server, key: key, email: "u-\(server.backend)@example.com")

            // act: unchanged → nothing recorded
            let got1 = try await form(server, page + "/review", "rating=1&body=Cracked").status
            XCTAssertEqual(got1, .seeOther)
            var review = try await server.send(.GET, "/api/v1/reviews/\(reviewID)", key: key).decoded(API.Review.self)
            XCTAssertEqual(review.history?.count, 0)

            // act: 1★ → 3★
            let got2 = try await form(server, page + "/review", "rating=3&body=Replaced%2C+fine+now").status
            XCTAssertEqual(got2, .seeOther)
            var summary = try await server.publicSummary(store.slug, "mug")
            XCTAssertEqual(summary.count, 1)
            XCTAssertEqual(summary.distribution["3"], 1)
            XCTAssertEqual(summary.distribution["1"], 0)

            // act: an edit with links is held like any review with links, and leaves the summary
            let spam = try await form(server, page + "/review", "rating=5&body=See+https%3A%2F%2Fa.test+and+https%3A%2F%2Fb.test")
            XCTAssertEqual(spam.status, .seeOther)
            review = try await server.send(.GET, "/api/v1/reviews/\(reviewID)", key: key).decoded(API.Review.self)
            XCTAssertEqual(review.status, "pending")
            XCTAssertEqual(review.heldByRule, "links")
            XCTAssertNotNil(review.publishAfter, "held reviews publish themselves at a deadline")
            summary = try await server.publicSummary(store.slug, "mug")
            XCTAssertEqual(summary.count, 0)
            // check: the whole history, oldest first
            let history = try XCTUnwrap(review.history)
            XCTAssertEqual(history.map(\.previousRating), [1, 3])
            XCTAssertEqual(history.map(\.previousBody), ["Cracked", "Replaced, fine now"])
            // the conversation says what happened
            let conversation = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()!
            let notes = try await ConversationMessage.query(on: server.app.db).filter(\.$conversationID == conversation.id!)
                .filter(\.$author == .system).all().map(\.body)
            XCTAssertTrue(notes.contains("The customer updated their review: 1★ → 3★."), "\(notes)")
        }
    }

    func testBadUpdatesAreRefusedAndChangeNothing() async throws {
        try await onEachBackend { server in
            // setup
            let (_, key) = try await server.makeStore()
            let (reviewID, _, page) = try await reviewWithPage(server, key: key, email: "bad-\(server.backend)@example.com")
            // act + check
            for body in ["rating=7", "rating=0", "rating=abc", "body=no+rating", "rating=4&title=" + String(repeating: "x", count: 300)] {
                let r = try await form(server, page + "/review", body)
                XCTAssertEqual(r.status, .unprocessableEntity, body)
            }
            var review = try await server.send(.GET, "/api/v1/reviews/\(reviewID)", key: key).decoded(API.Review.self)
            XCTAssertEqual(review.rating, 1)
            XCTAssertEqual(review.history?.count, 0)
            // a review the store rejected with a reason stays rejected
            _ = try await server.send(.POST, "/api/v1/reviews/\(reviewID)/reject", key: key, json: ["reason": "personal data"])
            let refused = try await form(server, page + "/review", "rating=5")
            XCTAssertEqual(refused.status, .conflict, "a person's recorded rejection is not undone by an edit")
            review = try await server.send(.GET, "/api/v1/reviews/\(reviewID)", key: key).decoded(API.Review.self)
            XCTAssertEqual(review.rating, 1)
            XCTAssertEqual(review.status, "rejected")
        }
    }

    func testResolveInvitesAnUpdateOnlyWhenTheStoreSaysSo() async throws {
        try await onEachBackend { server in
            // setup: the setting off
            let (_, key) = try await server.makeStore()
            let got3 = try await server.send(.GET, "/api/v1/settings/care", key: key).json["invite_review_update"] as? Bool
            XCTAssertEqual(got3, true)
            let off = try await server.send(.PATCH, "/api/v1/settings/care", key: key, json: ["invite_review_update": false])
            XCTAssertEqual(try off.json["invite_review_update"] as? Bool, false)
            let (_, conversationID, _) = try await reviewWithPage(server, key: key, email: "inv-\(server.backend)@example.com")
            // act
            _ = try await server.send(.POST, "/api/v1/conversations/\(conversationID)/resolve", key: key, json: ["resolution_note": "ok"])
            // check: no invitation, just the system line
            let messages = try unwrapped(try await server.conversation(conversationID, key: key).messages)
            XCTAssertEqual(messages.last?.author, "system")
            XCTAssertFalse(messages.contains { $0.body.contains("update your review") })
            // bad settings
            let got4 = try await server.send(.PATCH, "/api/v1/settings/care", key: key, json: ["invite_review_update": "yes"]).status
            XCTAssertEqual(got4, .unprocessableEntity)
            let got5 = try await server.send(.PATCH, "/api/v1/settings/care", key: key, json: [:] as [String: Any]).status
            XCTAssertEqual(got5, .unprocessableEntity)
            let got6 = try await server.send(.PATCH, "/api/v1/settings/care", key: key, raw: Data("{".utf8)).status
            XCTAssertEqual(got6, .badRequest)
            let got7 = try await server.send(.GET, "/api/v1/settings/care").status
            XCTAssertEqual(got7, .unauthorized)
        }
    }
}

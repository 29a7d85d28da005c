import CareCore
import Fluent
import Foundation
import XCTest

@testable import CareWeb

/// The shorter ways through a conversation and the saved replies: a note from the reply box, a
/// handoff in one press (note, assignee, their notice), saved replies edited, and a refused one
/// coming back with what was typed.
final class FewerClicksTests: XCTestCase {
    func testANoteFromTheReplyBoxAndAHandoffInOnePress() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key, owner) = try await server.storeWithOwner("hand")
            let agentEmail = "ann-\(store.slug)@shop.test"
            _ = try await Team.add(
                storeSlug: store.slug, email: agentEmail, name: "Ann Agent", password: "agent password",
                role: .agent, hasher: server.app.care.hasher, storage: server.app.care.storage, on: server.app.db)
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "h@example.com", name: "Hal", rating: 1, body: "Late"))
            let id = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()!.id!
            let page = try await owner.get("/app/conversations/\(id)")
            XCTAssertTrue(page.text.contains(">Hand to Ann Agent</button>"), "one button a teammate")
            XCTAssertFalse(page.text.contains(">Hand to Test hand"), "not to yourself")

            // act: a note from the reply box (then=note), and a handoff with a note
            let noted = try await owner.post("/app/conversations/\(id)/reply", ["body": "Checked the courier.", "then": "note", "internal": "0"])
            XCTAssertEqual(noted.status, .seeOther)
            let handed = try await owner.post("/app/conversations/\(id)/reply", ["body": "Ann, a refund: yours.", "handoff": agentEmail])
            XCTAssertEqual(handed.status, .seeOther)

            // check: two notes, nothing emailed for them, assigned, and Ann was told
            let messages = try await ConversationMessage.query(on: server.app.db).filter(\.$conversationID == id).sort(\.$createdAt).all()
            XCTAssertEqual(messages.filter { $0.author == .note }.map(\.body), ["Checked the courier.", "Ann, a refund: yours."])
            XCTAssertEqual(messages.filter { $0.author == .staff }.count, 1, "only the care trigger's message went to the customer")
            let c = try await Conversation.find(id, on: server.app.db)
            let ann = try await StaffUser.query(on: server.app.db).filter(\.$email == agentEmail).first()
            XCTAssertEqual(c?.assigneeID, ann?.id)
            let told = try await StaffNotifications.list(staffID: ann!.id!, on: server.app.db.sql)
            XCTAssertEqual(told.map(\.kind), [.handoff])

            // act + check: a handoff to someone outside the store is refused, nothing changed
            let stranger = try await owner.post("/app/conversations/\(id)/reply", ["body": "x", "handoff": "nobody@elsewhere.test"])
            XCTAssertEqual(stranger.status, .unprocessableEntity)
            let notes = try await ConversationMessage.query(on: server.app.db).filter(\.$conversationID == id).filter(\.$author == .note).count()
            XCTAssertEqual(notes, 2, "a refused handoff writes no note")
        }
    }

    func testSavedRepliesAreEditedAndARefusedOneKeepsWhatWasTyped() async throws {
        try await onEachBackend { server in
            let (store, _, owner) = try await server.storeWithOwner("saved")
            // act: a reply with a typo in its placeholder
            let refused = try await owner.post("/app/settings/saved-replies", ["title": "Refund", "body": "Hi {{custmer.name}}, refunded today."])
            // check: refused with the reason, the text still in the form
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertTrue(refused.text.contains("unknown placeholder {{custmer.name}}"), refused.text)
            XCTAssertTrue(refused.text.contains(">Hi {{custmer.name}}, refunded today.</textarea>"))
            XCTAssertTrue(refused.text.contains("value=\"Refund\""))

            // act: saved right, then edited
            _ = try await owner.post("/app/settings/saved-replies", ["title": "Refund", "body": "Hi {{customer.first_name}}, refunded."])
            let saved = try await SavedReply.query(on: server.app.db).filter(\.$storeID == store.id!).first()!
            let edited = try await owner.post(
                "/app/settings/saved-replies/\(saved.id!)", ["title": "Refund sent", "body": "Hi {{customer.first_name}}, the refund is on its way."])
            XCTAssertEqual(edited.status, .seeOther)
            let after = try await SavedReply.find(saved.id, on: server.app.db)
            XCTAssertEqual(after?.title, "Refund sent")
            XCTAssertEqual(after?.body, "Hi {{customer.first_name}}, the refund is on its way.")
            // a refused edit keeps the typed text in that reply's form, and changes nothing
            let bad = try await owner.post("/app/settings/saved-replies/\(saved.id!)", ["title": "Refund sent", "body": "Oops {{nope}}"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains(">Oops {{nope}}</textarea>"))
            let unchanged = try await SavedReply.find(saved.id, on: server.app.db)
            XCTAssertEqual(unchanged?.body, "Hi {{customer.first_name}}, the refund is on its way.")
            // another store's owner cannot edit it
            let (_, _, other) = try await server.storeWithOwner("other")
            let foreign = try await other.post("/app/settings/saved-replies/\(saved.id!)", ["title": "Mine", "body": "Mine"])
            XCTAssertEqual(foreign.status, .notFound)
        }
    }
}

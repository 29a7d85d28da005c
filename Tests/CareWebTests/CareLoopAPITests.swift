import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// The care loop through the API: a bad review opens a conversation at once, staff work it.
final class CareLoopAPITests: XCTestCase {
    /// Mails queued for the store's customers (the care lane; the staff's notices go in the other).
    func outboxCount(_ server: TestServer, storeID: UUID) async throws -> Int {
        try await OutboxJob.query(on: server.app.db).filter(\.$storeID == storeID).filter(\.$lane == 0).count()
    }

    func testOneStarReviewOpensAConversationWithItsEmailQueuedAndStaysPublished() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            let triggers = try await server.send(.GET, "/api/v1/triggers", key: key).json["triggers"] as? [[String: Any]]
            XCTAssertEqual(triggers?.count, 2, "every store starts with the low-rating and lukewarm triggers")
            // act
            let review = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(
                    product: "kettle", productName: "Gooseneck Kettle", email: "grace@example.com", name: "Grace Hopper",
                    rating: 1, title: "Leaks", body: "Water everywhere"))
            // check: the review is published exactly as without triggers
            let written: API.Review = try review.decoded()
            XCTAssertEqual(written.status, "published")
            let list: API.ConversationList = try await server.send(.GET, "/api/v1/conversations", key: key).decoded()
            XCTAssertEqual(list.total, 1)
            let c = try XCTUnwrap(list.conversations.first)
            XCTAssertEqual(c.reviewId, written.id)
            XCTAssertEqual(c.priority, "high")
            XCTAssertEqual(c.status, "open")
            XCTAssertEqual(c.customer?.email, "grace@example.com")
            let due = try XCTUnwrap(JSONBody.parseDate(try XCTUnwrap(c.slaDueAt)))
            XCTAssertEqual(due.timeIntervalSinceNow, 3600, accuracy: 120, "SLA 60 minutes")
            let detail: API.Conversation = try await server.send(.GET, "/api/v1/conversations/\(c.id)", key: key).decoded()
            let messages = try XCTUnwrap(detail.messages)
            XCTAssertEqual(messages.count, 1)
            XCTAssertEqual(messages[0].author, "staff")
            let body = messages[0].body
            XCTAssertTrue(body.hasPrefix("Hi Grace,"), body)
            XCTAssertTrue(body.contains("Gooseneck Kettle"), body)
            XCTAssertTrue(body.contains(store.name), body)
            let queued = try await outboxCount(server, storeID: store.id!)
            XCTAssertEqual(queued, 1, "the care email is in the outbox, written with the review")
        }
    }

    func testLukewarmOpensAProbingConversationAndAHappyDetailedReviewOpensNone() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(email: "happy@example.com", rating: 5, body: "Pours beautifully, the handle stays cool"))
            let none: API.ConversationList = try await server.send(.GET, "/api/v1/conversations", key: key).decoded()
            XCTAssertEqual(none.total, 0)
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "meh@example.com", name: "Sam Lee", rating: 4, body: "good"))
            let list: API.ConversationList = try await server.send(.GET, "/api/v1/conversations", key: key).decoded()
            XCTAssertEqual(list.total, 1)
            let c = try XCTUnwrap(list.conversations.first)
            XCTAssertEqual(c.priority, "normal")
            XCTAssertTrue(c.subject.contains("great"), c.subject)
        }
    }

    func testTriggersCanBeWrittenDisabledAndDeletedAndBadOnesAreRefused() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            let (_, otherKey) = try await server.makeStore("other")
            let listed = try await server.send(.GET, "/api/v1/triggers", key: key).json
            let triggers = try XCTUnwrap(listed["triggers"] as? [[String: Any]])
            let low = try XCTUnwrap(triggers.first { ($0["name"] as? String)?.hasPrefix("Low rating") == true })
            let lowID = try XCTUnwrap(low["id"] as? String)
            XCTAssertEqual(((low["definition"] as? [String: Any])?["event"]) as? String, "review.created")

            // act: disable the low-rating trigger; a 1★ review then opens nothing
            let off = try await server.send(.PATCH, "/api/v1/triggers/\(lowID)", key: key, json: ["enabled": false])
            XCTAssertEqual(try off.json["enabled"] as? Bool, false, off.text)
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "x@example.com", rating: 1, body: "bad"))
            let none = try await server.send(.GET, "/api/v1/conversations", key: key).json["total"] as? Int
            XCTAssertEqual(none, 0)

            // a custom trigger: verified 2★ or lower from a VIP product gets tagged and noted
            let custom: [String: Any] = [
                "name": "VIP care", "event": "review.created",
                "conditions": [
                    "all": [
                        ["attribute": "review.rating", "op": "lte", "value": 2],
                        ["attribute": "product.external_id", "op": "in", "value": ["vip-1", "vip-2"]],
                    ]
                ],
                "actions": [
                    ["type": "open_conversation", "template": "Hi {{customer.first_name}}, we saw your review of {{product.name}}."],
                    ["type": "add_tag", "tag": "VIP"], ["type": "add_note", "template": "VIP customer, call them."],
                    ["type": "assign", "to": "round_robin"],
                ],
            ]
            let created = try await server.send(.POST, "/api/v1/triggers", key: key, json: custom)
            XCTAssertEqual(created.status, .created, created.text)
            let customID = try XCTUnwrap(try created.json["id"] as? String)
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "vip-1", email: "v@example.com", rating: 2))
            let list: API.ConversationList = try await server.send(.GET, "/api/v1/conversations", key: key).decoded()
            let c = try XCTUnwrap(list.conversations.first)
            XCTAssertEqual(c.tags, ["vip"])
            XCTAssertEqual(c.assignee?.email, "\(store.slug)@owner.test", "round robin picks the only staff member")
            let detail: API.Conversation = try await server.send(.GET, "/api/v1/conversations/\(c.id)", key: key).decoded()
            XCTAssertEqual(detail.messages?.map(\.author), ["staff", "note"])

            // bad triggers: a clear 4xx naming the node
            var bad = custom
            bad["conditions"] = ["all": [["attribute": "review.stars", "op": "lte", "value": 2]]]
            let unknownAttribute = try await server.send(.POST, "/api/v1/triggers", key: key, json: bad)
            XCTAssertEqual(unknownAttribute.status, .unprocessableEntity)
            XCTAssertEqual(unknownAttribute.errorMessage?.hasPrefix("conditions.all[0].attribute"), true, unknownAttribute.text)
            bad = custom
            bad["actions"] = [["type": "open_conversation", "template": "Hi {{customer.nickname}}"]]
            let badPlaceholder = try await server.send(.POST, "/api/v1/triggers", key: key, json: bad)
            XCTAssertEqual(badPlaceholder.status, .unprocessableEntity)
            XCTAssertEqual(badPlaceholder.errorMessage?.hasPrefix("actions[0].template"), true)
            let malformed = try await server.send(.POST, "/api/v1/triggers", key: key, raw: Data("{\"name\":".utf8))
            XCTAssertEqual(malformed.status, .badRequest)
            let emptyPatch = try await server.send(.PATCH, "/api/v1/triggers/\(customID)", key: key, json: [String: Any]())
            XCTAssertEqual(emptyPatch.status, .unprocessableEntity)

            // other stores see none of it
            let foreign = try await server.send(.GET, "/api/v1/triggers/\(customID)", key: otherKey)
            XCTAssertEqual(foreign.status, .notFound)
            let foreignDelete = try await server.send(.DELETE, "/api/v1/triggers/\(customID)", key: otherKey)
            XCTAssertEqual(foreignDelete.status, .notFound)

            // delete
            let deleted = try await server.send(.DELETE, "/api/v1/triggers/\(customID)", key: key)
            XCTAssertEqual(deleted.status, .noContent)
            let again = try await server.send(.DELETE, "/api/v1/triggers/\(customID)", key: key)
            XCTAssertEqual(again.status, .notFound)
        }
    }

    func testATriggerNeverRefiresItselfThroughTheEventsItsActionsRaise() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            // On every conversation.opened: add a note and open (i.e. add to) the conversation again.
            let echo: [String: Any] = [
                "name": "Echo", "event": "conversation.opened", "once_per_subject": false,
                "actions": [["type": "add_note", "template": "opened"], ["type": "open_conversation", "template": "again"]],
            ]
            let created = try await server.send(.POST, "/api/v1/triggers", key: key, json: echo)
            XCTAssertEqual(created.status, .created, created.text)
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "loop@example.com", rating: 1))
            let list: API.ConversationList = try await server.send(.GET, "/api/v1/conversations", key: key).decoded()
            let c = try XCTUnwrap(list.conversations.first)
            let detail: API.Conversation = try await server.send(.GET, "/api/v1/conversations/\(c.id)", key: key).decoded()
            let authors = detail.messages?.map(\.author)
            XCTAssertEqual(authors, ["staff", "note", "staff"], "the echo trigger ran once")
        }
    }

    func testStaffReplyNoteAssignAndResolve() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "ann@example.com", rating: 2, body: "late"))
            let inbox: API.ConversationList = try await server.send(.GET, "/api/v1/conversations", key: key).decoded()
            let id = try XCTUnwrap(inbox.conversations.first).id
            let before = try await outboxCount(server, storeID: store.id!)

            // act
            let note = try await server.send(
                .POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": "Courier lost it", "internal": true])
            let afterNote = try await outboxCount(server, storeID: store.id!)
            let reply = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": "A new one ships today."])
            let afterReply = try await outboxCount(server, storeID: store.id!)
            let assigned = try await server.send(
                .POST, "/api/v1/conversations/\(id)/assign", key: key, json: ["assignee": "\(store.slug)@owner.test"])
            let badAssignee = try await server.send(.POST, "/api/v1/conversations/\(id)/assign", key: key, json: ["assignee": "nobody@example.com"])
            let resolved = try await server.send(
                .POST, "/api/v1/conversations/\(id)/resolve", key: key, json: ["resolution_note": "Replacement sent"])

            // check
            XCTAssertEqual(note.status, .created)
            XCTAssertEqual(try note.decoded(API.Message.self).author, "note")
            XCTAssertEqual(afterNote, before, "a note is never sent")
            XCTAssertEqual(try reply.decoded(API.Message.self).author, "staff")
            XCTAssertEqual(afterReply, before + 1, "a reply is emailed")
            XCTAssertEqual(try assigned.decoded(API.Conversation.self).assignee?.email, "\(store.slug)@owner.test")
            XCTAssertEqual(badAssignee.status, .unprocessableEntity)
            let r: API.Conversation = try resolved.decoded()
            XCTAssertEqual(r.status, "resolved")
            XCTAssertEqual(r.resolutionNote, "Replacement sent")
            XCTAssertNotNil(r.firstResponseAt, "the person's reply was the first response")
            // the system line, then (the store invites review updates by default) the invitation to the customer
            let last = (r.messages ?? []).suffix(2)
            XCTAssertEqual(last.map(\.author), ["system", "staff"])
            XCTAssertEqual(last.first?.body, "Resolved: Replacement sent")
            XCTAssertTrue(last.last?.body.contains("you can update your review") == true)
            let waiting: API.ConversationList = try await server.send(.GET, "/api/v1/conversations?status=resolved", key: key).decoded()
            XCTAssertEqual(waiting.total, 1)

            // bad input and other stores
            let (_, otherKey) = try await server.makeStore("other")
            let foreign = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: otherKey, json: ["body": "hi"])
            XCTAssertEqual(foreign.status, .notFound)
            let empty = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": " "])
            XCTAssertEqual(empty.status, .unprocessableEntity)
            let badStatus = try await server.send(.GET, "/api/v1/conversations?status=closed", key: key)
            XCTAssertEqual(badStatus.status, .unprocessableEntity)
        }
    }
}

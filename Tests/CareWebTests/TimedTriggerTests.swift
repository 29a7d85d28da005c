import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Time events: a conversation nobody answered, or a customer who went quiet, fires its trigger
/// once the silence is long enough, once, and not when a reply came in time. The sweep runs here
/// with a clock moved forward instead of waiting.
final class TimedTriggerTests: XCTestCase {
    func sweep(_ server: TestServer, at offset: TimeInterval) async throws {
        let later = Date().addingTimeInterval(offset)
        try await TimedTriggers.sweep(links: server.app.care.links, storage: server.app.care.storage.withClock { later }, on: server.app.db)
    }

    func testUnansweredAndWaitingCustomerFireOnceAfterTheirSilence() async throws {
        try await onEachBackend { server in
            // setup: both time triggers, and a 1★ review's conversation
            let (_, key) = try await server.makeStore()
            let unanswered: [String: Any] = [
                "name": "Nobody answered in 30 min", "event": "conversation.unanswered", "after_minutes": 30,
                "actions": [
                    ["type": "set_priority", "priority": "urgent"], ["type": "add_tag", "tag": "sla-missed"],
                    ["type": "add_note", "template": "Unanswered for 30 minutes: take it now."],
                ],
            ]
            let quiet: [String: Any] = [
                "name": "Check in after 3 days", "event": "conversation.waiting_customer", "after_minutes": 3 * 24 * 60,
                "actions": [["type": "send_message", "template": "Hi {{customer.first_name}}, just checking in: is everything all right now?"]],
            ]
            let lowOnly: [String: Any] = [
                "name": "Never: low priority only", "event": "conversation.unanswered", "after_minutes": 1,
                "conditions": ["all": [["attribute": "conversation.priority", "op": "eq", "value": "low"]]],
                "actions": [["type": "add_tag", "tag": "should-not-fire"]],
            ]
            let hourSilent: [String: Any] = [
                "name": "Silent for an hour", "event": "conversation.unanswered", "after_minutes": 1,
                "conditions": ["all": [["attribute": "conversation.minutes_since_staff_reply", "op": "gte", "value": 60]]],
                "actions": [["type": "add_tag", "tag": "hour-silent"]],
            ]
            for t in [unanswered, quiet, lowOnly, hourSilent] {
                let r = try await server.send(.POST, "/api/v1/triggers", key: key, json: t)
                XCTAssertEqual(r.status, .created, r.text)
            }
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "t-\(server.backend)@example.com", name: "Ada Lovelace", rating: 1))
            let id = try unwrapped(try await server.conversations(key: key).first?.id)

            // act: 10 minutes on, nothing yet
            try await sweep(server, at: 10 * 60)
            var c = try await server.conversation(id, key: key)
            XCTAssertEqual(c.priority, "high", "the default low-rating trigger's priority, unchanged")
            // act: 31 minutes on, then again at 40
            try await sweep(server, at: 31 * 60)
            try await sweep(server, at: 40 * 60)
            // check: fired once
            c = try await server.conversation(id, key: key)
            XCTAssertEqual(c.priority, "urgent")
            XCTAssertEqual(c.tags, ["sla-missed"], "not silent for an hour yet")
            // act: an hour after the care message, still unanswered
            try await sweep(server, at: 61 * 60)
            c = try await server.conversation(id, key: key)
            XCTAssertEqual(c.tags, ["sla-missed", "hour-silent"], "minutes_since_staff_reply is a fact triggers can test")
            let notes = (c.messages ?? []).filter { $0.author == "note" }
            XCTAssertEqual(notes.count, 1)
            XCTAssertEqual(notes.first?.body, "Unanswered for 30 minutes: take it now.")

            // act: staff answer → waiting on the customer; 3 days on, one check-in
            _ = try await server.send(.POST, "/api/v1/conversations/\(id)/messages", key: key, json: ["body": "Sorry! Could you send a photo?"])
            try await sweep(server, at: 2 * 24 * 3600)
            c = try await server.conversation(id, key: key)
            XCTAssertEqual(
                (c.messages ?? []).filter { $0.body.contains("just checking in") }.count, 0)
            try await sweep(server, at: 3 * 24 * 3600 + 120)
            try await sweep(server, at: 4 * 24 * 3600)
            c = try await server.conversation(id, key: key)
            let checkIns = (c.messages ?? []).filter { $0.body.contains("Hi Ada, just checking in") }
            XCTAssertEqual(checkIns.count, 1)
            XCTAssertEqual(checkIns.first?.author, "staff")
            XCTAssertFalse(c.tags.contains("should-not-fire"), "conditions hold for time triggers too")
        }
    }

    func testTimeTriggersNeedTheirSilence() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            // a time trigger without after_minutes, and after_minutes on an ordinary event
            let missing = try await server.send(
                .POST, "/api/v1/triggers", key: key,
                json: [
                    "name": "x", "event": "conversation.unanswered",
                    "actions": [["type": "add_tag", "tag": "x"]],
                ])
            XCTAssertEqual(missing.status, .unprocessableEntity)
            XCTAssertEqual(missing.errorMessage, "after_minutes: is required for conversation.unanswered")
            let stray = try await server.send(
                .POST, "/api/v1/triggers", key: key,
                json: [
                    "name": "x", "event": "review.created", "after_minutes": 5,
                    "actions": [["type": "add_tag", "tag": "x"]],
                ])
            XCTAssertEqual(stray.status, .unprocessableEntity)
        }
    }
}

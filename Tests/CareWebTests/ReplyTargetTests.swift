import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Reply targets: the clock runs only while the store owes a reply, each target ends met or
/// breached, insights count them that way, and a reply to an unowned conversation assigns it.
final class ReplyTargetTests: XCTestCase {
    func testClockStopsWhileWaitingAndEachTargetEndsMetOrBreached() async throws {
        try await onEachBackend { server in
            // setup: a 1★ review; the default trigger gives its first reply a 60-minute target
            let (store, key, owner) = try await server.storeWithOwner()
            let storeID = try store.requireID()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "sla@example.com", rating: 1))
            let id = try unwrapped(try await server.conversations(key: key).first?.id)
            var c = try await server.conversation(id, key: key)
            XCTAssertNotNil(c.slaDueAt)
            XCTAssertEqual(c.slaTarget, "first")
            XCTAssertNil(c.assignee, "nobody owns it yet")

            // act: the owner answers from the dashboard
            let reply = try await owner.post("/app/conversations/\(id)/reply", ["body": "So sorry, a new kettle is on its way."])
            XCTAssertEqual(reply.status, .seeOther, reply.text)

            // check: waiting for the customer, no clock, assigned to the person who replied
            c = try await server.conversation(id, key: key)
            XCTAssertEqual(c.status, "waiting")
            XCTAssertNil(c.slaDueAt, "the clock stops while the store waits for the customer")
            XCTAssertEqual(c.assignee?.email, "\(store.slug)@owner.test")
            // Forty hours on, the waiting conversation is not "overdue" anywhere.
            let later = server.app.care.storage.withClock { Date().addingTimeInterval(40 * 3600) }
            let waitingTab = try await owner.get("/app/inbox?status=waiting&who=all")
            XCTAssertTrue(waitingTab.text.contains("waiting for the customer"), waitingTab.text)
            XCTAssertFalse(waitingTab.text.contains("overdue by"))

            // act: the customer writes back an hour later; the store answers 20 hours after that
            let cid = try XCTUnwrap(UUID(uuidString: id))
            let customerAt = Date().addingTimeInterval(3600)
            _ = try await ConversationService.customerReply(
                conversationID: cid, storeID: storeID, body: "It arrived broken again.", links: server.app.care.links,
                storage: server.app.care.storage.withClock { customerAt }, on: server.app.db)
            c = try await server.conversation(id, key: key)
            XCTAssertEqual(c.slaTarget, "next")
            let fractional = ISO8601DateFormatter()
            fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let dueText = try XCTUnwrap(c.slaDueAt)
            let due = try XCTUnwrap(fractional.date(from: dueText) ?? ISO8601DateFormatter().date(from: dueText), dueText)
            XCTAssertEqual(due.timeIntervalSince(customerAt), 8 * 3600, accuracy: 2, "the default next-reply target is 8 hours")
            _ = try await ConversationService.reply(
                conversationID: cid, storeID: storeID, body: "Refund sent.", isInternal: false, staffID: nil,
                storage: server.app.care.storage.withClock { customerAt.addingTimeInterval(20 * 3600) }, on: server.app.db)

            // check: first reply met, next reply breached; insights count both
            let figures = try await Insights.replyTargets(
                storeID: storeID, since: Date().addingTimeInterval(-3600), now: later.now(), on: server.app.db.sql)
            XCTAssertEqual(figures.firstMet, 1)
            XCTAssertEqual(figures.firstBreached, 0)
            XCTAssertEqual(figures.nextMet, 0)
            XCTAssertEqual(figures.nextBreached, 1)
            XCTAssertEqual(figures.overdueNow, 0)
            let insights = try await owner.get("/app/insights")
            XCTAssertTrue(insights.text.contains("id=\"fig-targets\""), insights.text)
        }
    }

    func testAnOverdueReplyAndResolvingLateCountAsBreached() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            let storeID = try store.requireID()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "late@example.com", rating: 2))
            let id = try unwrapped(UUID(uuidString: try unwrapped(try await server.conversations(key: key).first?.id)))
            let twoHours = Date().addingTimeInterval(2 * 3600)
            // check: overdue now, before anything settles it
            var figures = try await Insights.replyTargets(storeID: storeID, since: .distantPast, now: twoHours, on: server.app.db.sql)
            XCTAssertEqual(figures.overdueNow, 1)
            // act: resolved two hours on, nobody having answered
            try await ConversationService.resolve(
                conversationID: id, storeID: storeID, note: nil, links: server.app.care.links,
                storage: server.app.care.storage.withClock { twoHours }, on: server.app.db)
            // check
            figures = try await Insights.replyTargets(storeID: storeID, since: .distantPast, now: twoHours, on: server.app.db.sql)
            XCTAssertEqual(figures.firstBreached, 1)
            XCTAssertEqual(figures.overdueNow, 0)
            let c = try await server.conversation("\(id)", key: key)
            XCTAssertNil(c.slaDueAt)
        }
    }

    func testRepliesSettingsTurnAssigningOffAndRefuseBadHours() async throws {
        try await onEachBackend { server in
            // setup
            let (_, key, owner) = try await server.storeWithOwner()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "own@example.com", rating: 1))
            let id = try unwrapped(try await server.conversations(key: key).first?.id)
            let page = try await owner.get("/app/conversations/\(id)")
            XCTAssertTrue(page.text.contains("Resolve and invite the customer to update their review"), "the button says what resolving does")

            // act: bad hours are refused, each with its field
            for (field, value) in [("next_reply_hours", "soon"), ("next_reply_hours", "1e9"), ("open_hour", "25"), ("close_hour", "x")] {
                var fields = ["next_reply_hours": "4", "open_hour": "9", "close_hour": "17"]
                fields[field] = value
                let r = try await owner.post("/app/settings/replies", fields)
                XCTAssertEqual(r.status, .unprocessableEntity, "\(field)=\(value)")
                XCTAssertTrue(r.text.contains(field), r.text)
            }
            let bodyText =
                form(["_csrf": owner.csrf, "next_reply_hours": "2.5", "open_hour": "9", "close_hour": "17", "business_hours": "1"])
                + "&work_days%5B%5D=1&work_days%5B%5D=3"
            let saved = try await server.send(
                .POST, "/app/settings/replies", raw: Data(bodyText.utf8), contentType: "application/x-www-form-urlencoded",
                headers: ["Cookie": owner.cookie])
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            let settings = try await owner.get("/app/settings")
            XCTAssertTrue(settings.text.contains(#"name="next_reply_hours" min="0.1" max="720" step="any" value="2.5""#), settings.text)
            XCTAssertFalse(settings.text.contains(#"name="assign_on_reply" value="1" checked"#))
            _ = try await owner.post("/app/conversations/\(id)/reply", ["body": "Looking into it."])

            // check: assigning on reply is off, so the conversation stays unowned
            let c = try await server.conversation("\(id)", key: key)
            XCTAssertNil(c.assignee)
        }
    }

    func testInsightsSayWhatToDoWhenEmptyAndCountEachPerson() async throws {
        try await onEachBackend { server in
            // setup: a new store
            let (_, key, owner) = try await server.storeWithOwner()
            // check: empty charts say what to do
            let empty = try await owner.get("/app/insights")
            XCTAssertTrue(empty.text.contains(#"id="weekly-empty""#), empty.text)
            XCTAssertTrue(empty.text.contains(#"id="funnel-empty""#))
            XCTAssertTrue(empty.text.contains("Nobody has been assigned a conversation yet"))
            // act: a 1★ review, answered by the owner (which assigns it)
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "agent-table@example.com", rating: 1))
            let id = try unwrapped(try await server.conversations(key: key).first?.id)
            _ = try await owner.post("/app/conversations/\(id)/reply", ["body": "On it."])
            // check: the week's bar is labelled with its value, and the owner has a row
            let page = try await owner.get("/app/insights")
            XCTAssertFalse(page.text.contains(#"id="weekly-empty""#))
            XCTAssertTrue(page.text.contains(#"class="label value">1</text>"#), page.text)
            XCTAssertTrue(page.text.contains(#"<table id="agents-table">"#))
            // the lying bars (stars, complaints) carry their count at the bar's end and a scale beneath
            XCTAssertTrue(page.text.contains(#"dy="19" class="label count">1</text>"#), page.text)
            XCTAssertTrue(page.text.contains(#"<line x1="40" y1="196" x2="520" y2="196" class="axis"/>"#))
            XCTAssertTrue(page.text.contains(#"<text x="520.0" y="214" class="label value">1</text>"#), page.text)
            XCTAssertTrue(page.text.contains(#"dy="13" class="label count">1</text>"#), "the product with a 1★ review")
            XCTAssertTrue(page.text.contains("<td>1</td><td>1</td><td>0 min</td>"), page.text)
        }
    }
}

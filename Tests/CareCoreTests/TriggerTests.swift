import Foundation
import XCTest

@testable import CareCore

final class TriggerTests: XCTestCase {
    func parse(_ json: String) throws -> TriggerDefinition { try TriggerJSON.parse(Data(json.utf8)) }

    func expectError(_ json: String, field: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(json), file: file, line: line) { error in
            XCTAssertEqual((error as? CareError)?.field, field, "\(error)", file: file, line: line)
        }
    }

    func testTheShapeFromTheProductNotesParses() throws {
        // setup / act
        let t = try parse(
            """
            {"name": "Low", "event": "review.created",
             "conditions": {"all": [{"attribute": "review.rating", "op": "lte", "value": 2},
                                    {"not": {"attribute": "review.body", "op": "matches", "value": "^test"}},
                                    {"any": [{"attribute": "review.verified", "op": "eq", "value": true},
                                             {"attribute": "product.external_id", "op": "in", "value": ["a", "b"]}]}]},
             "actions": [{"type": "open_conversation", "template": "Hi {{customer.first_name}}"},
                         {"type": "set_priority", "priority": "high"}, {"type": "set_sla", "minutes": 60},
                         {"type": "assign", "to": "round_robin"}, {"type": "add_tag", "tag": "Unhappy"}]}
            """)
        // check
        XCTAssertEqual(t.event, .reviewCreated)
        XCTAssertTrue(t.oncePerSubject)
        XCTAssertEqual(t.actions.count, 5)
        XCTAssertEqual(t.actions[4], .addTag("unhappy"))
        let facts: TriggerFacts = [
            .reviewRating: .number(1), .reviewBody: .string("leaks"), .reviewVerified: .bool(false),
            .productExternalID: .string("b"),
        ]
        XCTAssertTrue(t.conditions.matches(facts))
        var happy = facts
        happy[.reviewRating] = .number(4)
        XCTAssertFalse(t.conditions.matches(happy))
        var testReview = facts
        testReview[.reviewBody] = .string("TEST review")
        XCTAssertFalse(t.conditions.matches(testReview), "matches is case-insensitive, negated")
    }

    func testRoundTripThroughJSONKeepsTheTrigger() throws {
        for d in DefaultTriggers.all {
            XCTAssertEqual(try TriggerJSON.parse(TriggerJSON.data(d)), d)
        }
    }

    func testOperators() {
        let facts: TriggerFacts = [
            .reviewRating: .number(3), .reviewBody: .string("The lid LEAKS"),
            .conversationTags: .list([.string("vip")]),
        ]
        func check(_ attribute: String, _ op: TriggerOperator, _ value: TriggerValue) -> Bool {
            TriggerCondition.compare(attribute: TriggerAttribute(rawValue: attribute)!, op: op, value: value).matches(facts)
        }
        XCTAssertTrue(check("review.rating", .eq, .number(3)))
        XCTAssertTrue(check("review.rating", .ne, .number(2)))
        XCTAssertTrue(check("review.rating", .lt, .number(4)))
        XCTAssertFalse(check("review.rating", .gt, .number(3)))
        XCTAssertTrue(check("review.rating", .gte, .number(3)))
        XCTAssertTrue(check("review.rating", .in, .list([.number(3), .number(4)])))
        XCTAssertTrue(check("review.body", .contains, .string("lid leaks")))
        XCTAssertTrue(check("review.body", .matches, .string("l(i|o)d")))
        XCTAssertTrue(check("conversation.tags", .contains, .string("VIP")))
        XCTAssertFalse(check("customer.review_count", .gte, .number(0)), "a missing fact satisfies no comparison")
        XCTAssertTrue(check("customer.review_count", .ne, .number(0)))
    }

    func testBadTriggersNameTheNodeAtFault() {
        expectError("[1]", field: "trigger")
        expectError(#"{"event": "review.created", "actions": [{"type": "resolve"}]}"#, field: "name")
        expectError(#"{"name": "x", "event": "review.deleted", "actions": [{"type": "resolve"}]}"#, field: "event")
        expectError(#"{"name": "x", "event": "review.created", "actions": []}"#, field: "actions")
        expectError(#"{"name": "x", "event": "review.created", "actions": [{"type": "explode"}]}"#, field: "actions[0].type")
        expectError(
            #"{"name": "x", "event": "review.created", "conditions": {"all": [{"attribute": "review.stars", "op": "eq", "value": 1}]}, "actions": [{"type": "resolve"}]}"#,
            field: "conditions.all[0].attribute")
        expectError(
            #"{"name": "x", "event": "review.created", "conditions": {"any": [{"attribute": "review.body", "op": "lt", "value": 1}]}, "actions": [{"type": "resolve"}]}"#,
            field: "conditions.any[0].op")
        expectError(
            #"{"name": "x", "event": "review.created", "conditions": {"attribute": "review.rating", "op": "eq", "value": "two"}, "actions": [{"type": "resolve"}]}"#,
            field: "conditions.value")
        expectError(
            #"{"name": "x", "event": "review.created", "conditions": {"not": {"attribute": "review.body", "op": "matches", "value": "(("}}, "actions": [{"type": "resolve"}]}"#,
            field: "conditions.not.value")
        expectError(
            #"{"name": "x", "event": "review.created", "conditions": {"attribute": "review.rating", "op": "in", "value": []}, "actions": [{"type": "resolve"}]}"#,
            field: "conditions.value")
        expectError(
            #"{"name": "x", "event": "review.created", "actions": [{"type": "open_conversation", "template": "Hi {{customer.nickname}}"}]}"#,
            field: "actions[0].template")
        expectError(#"{"name": "x", "event": "review.created", "actions": [{"type": "set_sla", "minutes": 0}]}"#, field: "actions[0].minutes")
        expectError(
            #"{"name": "x", "event": "review.created", "actions": [{"type": "set_priority", "priority": "asap"}]}"#, field: "actions[0].priority")
        expectError(#"{"name": "x", "event": "review.created", "actions": [{"type": "assign", "to": "bob"}]}"#, field: "actions[0].to")
        expectError(#"{"name": "x", "event": "review.created", "actions": [{"type": "resolve", "colour": "red"}]}"#, field: "actions[0].colour")
        expectError(#"{"name": "x", "event": "conversation.unanswered", "actions": [{"type": "resolve"}]}"#, field: "after_minutes")
        expectError(#"{"name": "x", "event": "review.created", "after_minutes": 5, "actions": [{"type": "resolve"}]}"#, field: "after_minutes")
        expectError(#"{"name": "x", "event": "review.created", "once_per_subject": 1, "actions": [{"type": "resolve"}]}"#, field: "once_per_subject")
        XCTAssertThrowsError(try parse("{not json")) { error in
            XCTAssertEqual((error as? CareError)?.kind, .malformed)
        }
    }
}

import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Webhooks: the endpoint API, and delivery through the outbox to a real receiver: signed, retried
/// with the same id, dead-lettered when the receiver says 410 Gone. No SMTP server is configured
/// here: emails wait, webhooks still go.
final class WebhookTests: XCTestCase {
    let noMail: (inout CareConfig) -> Void = { c in
        c.runOutboxWorker = true
        c.outboxPollSeconds = 0.2
        c.retryPolicy = .init(baseDelay: 0.2, maxDelay: 0.5, window: 3600)
    }

    func testEndpointAPIAndBadInput() async throws {
        try await onEachBackend { server in
            // setup
            let (_, key) = try await server.makeStore()
            let (_, otherKey) = try await server.makeStore("other")
            // act
            let made = try await server.send(
                .POST, "/api/v1/webhooks", key: key,
                json: ["url": "https://hooks.example.com/careloop", "events": ["review.created", "review.created", "conversation.resolved"]])
            // check: the secret once, the events as a set
            XCTAssertEqual(made.status, .created)
            let id = try XCTUnwrap(try made.json["id"] as? String)
            XCTAssertTrue((try made.json["secret"] as? String)?.hasPrefix("whsec_") == true)
            XCTAssertEqual(try made.json["events"] as? [String], ["conversation.resolved", "review.created"])
            let list = try await server.send(.GET, "/api/v1/webhooks", key: key).json["webhooks"] as? [[String: Any]] ?? []
            XCTAssertEqual(list.count, 1)
            XCTAssertNil(list[0]["secret"], "the secret is shown only once")
            // bad input: each a 4xx naming the field, nothing stored
            let bad: [([String: Any], String)] = [
                (["url": "ftp://x.test/h", "events": ["review.created"]], "url"),
                (["url": "not a url", "events": ["review.created"]], "url"),
                (["events": ["review.created"]], "url"),
                (["url": "https://x.test/h"], "events"),
                (["url": "https://x.test/h", "events": [] as [String]], "events"),
                (["url": "https://x.test/h", "events": ["review.deleted"]], "events[0]"),
            ]
            for (json, field) in bad {
                let r = try await server.send(.POST, "/api/v1/webhooks", key: key, json: json)
                XCTAssertEqual(r.status, .unprocessableEntity, "\(json)")
                XCTAssertEqual(try r.apiError.field, field, "\(json)")
            }
            let got1 = try await server.send(.POST, "/api/v1/webhooks", key: key, raw: Data("{\"url\":".utf8)).status
            XCTAssertEqual(got1, .badRequest)
            let got2 = try await server.send(.POST, "/api/v1/webhooks", json: ["url": "https://x.test", "events": ["review.created"]]).status
            XCTAssertEqual(got2, .unauthorized)
            let stillOne = try await server.send(.GET, "/api/v1/webhooks", key: key).json["webhooks"] as? [Any]
            XCTAssertEqual(stillOne?.count, 1, "bad requests stored nothing")
            // another store can neither see, test nor delete it
            let others = try await server.send(.GET, "/api/v1/webhooks", key: otherKey).json["webhooks"] as? [Any]
            XCTAssertEqual(others?.count, 0)
            let got3 = try await server.send(.DELETE, "/api/v1/webhooks/\(id)", key: otherKey).status
            XCTAssertEqual(got3, .notFound)
            let got4 = try await server.send(.POST, "/api/v1/webhooks/\(id)/test", key: otherKey).status
            XCTAssertEqual(got4, .notFound)
            let got5 = try await server.send(.DELETE, "/api/v1/webhooks/not-a-uuid", key: key).status
            XCTAssertEqual(got5, .notFound)
            // delete
            let got6 = try await server.send(.DELETE, "/api/v1/webhooks/\(id)", key: key).status
            XCTAssertEqual(got6, .noContent)
            let got7 = try await server.send(.DELETE, "/api/v1/webhooks/\(id)", key: key).status
            XCTAssertEqual(got7, .notFound)
        }
    }

    func testFailedDeliveriesRetryWithTheSameIDAndAGoneReceiverIsDeadLettered() async throws {
        try await onEachBackend(tweak: noMail) { server in
            // setup: one endpoint that fails twice, one that says 410 Gone
            let flaky = WebhookReceiver()
            try flaky.start(failFirst: 2)
            let gone = WebhookReceiver()
            try gone.start(status: 410)
            defer {
                flaky.stop()
                gone.stop()
            }
            let (store, key) = try await server.makeStore()
            let a = try await server.send(.POST, "/api/v1/webhooks", key: key, json: ["url": flaky.url, "events": ["review.created"]])
            try flaky.trust(secret: try XCTUnwrap(try a.json["secret"] as? String))
            _ = try await server.send(.POST, "/api/v1/webhooks", key: key, json: ["url": gone.url, "events": ["review.created"]])
            // act: a 5★ review (no care trigger acts on it)
            let created = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(email: "w-\(server.backend)@example.com", rating: 5, body: "Lovely, sturdy, pours well"))
            let reviewID = try XCTUnwrap(try created.json["id"] as? String)
            // check: the flaky receiver got three tries of one event: same id, valid signature each time
            let tries = try await flaky.waitFor(3, event: "review.created")
            XCTAssertEqual(tries.map { $0["status"] as? Int }, [500, 500, 204])
            XCTAssertEqual(Set(tries.compactMap { $0.header("webhook-id") }).count, 1, "a retry carries the same webhook-id")
            XCTAssertTrue(tries.allSatisfy { $0["signature_valid"] as? Bool == true })
            XCTAssertEqual((tries.last?.webhookBody?["data"] as? [String: Any])?["id"] as? String, reviewID)
            // the gone receiver: dead-lettered after one attempt, with the answer, in the delivery log
            var dead: [[String: Any]] = []
            for _ in 0..<100 {
                dead = try await server.send(.GET, "/api/v1/outbox?kind=webhook&status=dead", key: key).json["jobs"] as? [[String: Any]] ?? []
                if !dead.isEmpty { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            XCTAssertEqual(dead.count, 1)
            XCTAssertEqual(dead.first?["attempts"] as? Int, 1)
            XCTAssertTrue((dead.first?["last_error"] as? String)?.contains("HTTP 410") == true, "\(dead)")
            // the emails of this store wait (no SMTP server); the webhook deliveries did not wait for them
            let delivered = try await OutboxJob.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$kind == .webhook)
                .filter(\.$status == .delivered).count()
            XCTAssertEqual(delivered, 1)
            let got8 = try await server.send(.GET, "/api/v1/outbox?kind=fax", key: key).status
            XCTAssertEqual(got8, .unprocessableEntity)
        }
    }

    func testTestEventAndTriggerAction() async throws {
        let hooks = WebhookReceiver()
        try hooks.start()
        defer { hooks.stop() }
        try await onEachBackend(tweak: noMail) { server in
            // setup: an endpoint for trigger events, and a trigger that posts on 1★ reviews of one product
            let (_, key) = try await server.makeStore()
            let made = try await server.send(.POST, "/api/v1/webhooks", key: key, json: ["url": hooks.url, "events": ["trigger.fired"]])
            let id = try XCTUnwrap(try made.json["id"] as? String)
            try hooks.trust(secret: try XCTUnwrap(try made.json["secret"] as? String))
            let trigger: [String: Any] = [
                "name": "Kettle alarm", "event": "review.created",
                "conditions": ["all": [["attribute": "product.external_id", "op": "eq", "value": "kettle-\(server.backend)"]]],
                "actions": [["type": "send_webhook"]],
            ]
            let got9 = try await server.send(.POST, "/api/v1/triggers", key: key, json: trigger).status
            XCTAssertEqual(got9, .created)
            let testsBefore = hooks.records().filter { $0.event == "webhook.test" }.count
            // act
            let got10 = try await server.send(.POST, "/api/v1/webhooks/\(id)/test", key: key).status
            XCTAssertEqual(got10, .accepted)
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "kettle-\(server.backend)", email: "k@example.com", rating: 2))
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "mug-\(server.backend)", email: "k@example.com", rating: 2))
            // check
            let test = try await hooks.waitFor(testsBefore + 1, event: "webhook.test")
            XCTAssertEqual(test.last?["signature_valid"] as? Bool, true)
            func product(_ r: [String: Any]) -> String? {
                (((r.webhookBody?["data"] as? [String: Any])?["review"] as? [String: Any])?["product"] as? [String: Any])?["external_id"] as? String
            }
            let fired = try await hooks.waitFor(
                1, what: "trigger.fired", where: { $0.event == "trigger.fired" && product($0)?.hasSuffix(server.backend.rawValue) == true })
            try await Task.sleep(nanoseconds: 500_000_000) // room for a wrong second firing to arrive
            XCTAssertEqual(
                hooks.records().filter { $0.event == "trigger.fired" && product($0) == "mug-\(server.backend)" }.count, 0,
                "only the kettle review fires it")
            XCTAssertEqual(fired.count, 1)
            XCTAssertEqual((fired.first?.webhookBody?["data"] as? [String: Any])?["trigger"] as? String, "Kettle alarm")
        }
    }
}

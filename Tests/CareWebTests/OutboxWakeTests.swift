import Vapor
import XCTest

@testable import CareWeb

/// The outbox worker is woken by the write that queued a delivery, whatever the write was: the storage
/// layer does it after the commit, not a controller's guess.
final class OutboxWakeTests: XCTestCase {
    func testAWriteThatQueuesOnlyAWebhookWakesTheWorkerWithoutWaitingForThePoll() async throws {
        // The worker polls once a minute here: a delivery that arrives within seconds was woken by its write.
        try await onEachBackend(tweak: { c in
            c.runOutboxWorker = true
            c.outboxPollSeconds = 60
        }) { server in
            // setup: a store with a review.created webhook, and a worker settled into its minute-long wait
            let receiver = WebhookReceiver()
            try receiver.start()
            defer { receiver.stop() }
            let (_, key) = try await server.makeStore()
            let made = try await server.send(.POST, "/api/v1/webhooks", key: key, json: ["url": receiver.url, "events": ["review.created"]])
            XCTAssertEqual(made.status, .created, made.text)
            try await Task.sleep(nanoseconds: 1_000_000_000)

            // act: a 5★ review opens no conversation; its only delivery is the webhook
            let review = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "happy@example.com", rating: 5, body: "Lovely."))
            XCTAssertEqual(review.status, .created)

            // check: the webhook arrives long before the next poll
            let delivered = try await receiver.waitFor(1, event: "review.created", timeout: 10)
            XCTAssertEqual(delivered.count, 1)
        }
    }
}

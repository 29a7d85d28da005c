import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Two CareLoop servers sharing one PostgreSQL database: every care email goes out exactly once.
final class TwoNodeTests: XCTestCase {
    func testTwoServersOnOnePostgresSendEachCareEmailExactlyOnce() async throws {
        guard TestBackend.postgresURL != nil else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI must run this on PostgreSQL") }
            throw XCTSkip("needs CARELOOP_TEST_POSTGRES_URL")
        }
        // setup: one SMTP server, two nodes with their own outbox workers
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        let tweak: (inout CareConfig) -> Void = { c in
            c.smtpURL = "smtp://127.0.0.1:\(sink.port)"
            c.mailDomain = "mail.test"
            c.runOutboxWorker = true
            c.outboxPollSeconds = 0.2
            c.retryPolicy = .init(baseDelay: 0.2, maxDelay: 1, window: 3600)
        }
        let a = try await TestServer.start(.postgres, tweak: tweak)
        let b = try await TestServer.start(.postgres, tweak: tweak)
        do {
            let (store, key) = try await a.makeStore("twonode")
            let tag = UUID().uuidString.prefix(8).lowercased()
            // act: 200 low-rating reviews, alternating between the nodes, 20 at a time
            for batch in 0..<10 {
                try await withThrowingTaskGroup(of: UInt.self) { group in
                    for i in 0..<20 {
                        let n = batch * 20 + i
                        let node = n % 2 == 0 ? a : b
                        group.addTask {
                            try await node.send(
                                .POST, "/api/v1/reviews", key: key,
                                json: reviewJSON(
                                    product: "p\(n % 7)", email: "c\(n)-\(tag)@example.com", rating: 1 + n % 2)
                            ).status.code
                        }
                    }
                    for try await status in group { XCTAssertEqual(status, 201) }
                }
            }
            // check: exactly 200 care emails to exactly 200 addresses, none twice
            let deadline = Date().addingTimeInterval(60)
            var mine: [[String: Any]] = []
            while Date() < deadline {
                mine = sink.messages().filter { (($0["rcpt_tos"] as? [String])?.first ?? "").hasSuffix("-\(tag)@example.com") }
                if mine.count >= 200 { break }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            try await Task.sleep(nanoseconds: 1_000_000_000) // anything sent twice would arrive by now
            mine = sink.messages().filter { (($0["rcpt_tos"] as? [String])?.first ?? "").hasSuffix("-\(tag)@example.com") }
            XCTAssertEqual(mine.count, 200)
            let recipients = mine.compactMap { ($0["rcpt_tos"] as? [String])?.first }
            XCTAssertEqual(Set(recipients).count, 200, "no customer got the care email twice")
            let messageIDs = mine.compactMap { $0.header("Message-ID") }
            XCTAssertEqual(Set(messageIDs).count, 200)
            var delivered = 0
            for _ in 0..<100 {
                // The care mails (the owner's notices of each 1★ go in the other lane).
                delivered = try await OutboxJob.query(on: a.app.db).filter(\.$storeID == store.id!).filter(\.$status == .delivered)
                    .filter(\.$lane == 0).count()
                if delivered == 200 { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            XCTAssertEqual(delivered, 200)
        } catch {
            XCTFail("\(error)")
        }
        await a.stop()
        await b.stop()
    }
}

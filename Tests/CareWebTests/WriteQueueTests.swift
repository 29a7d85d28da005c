import CareCore
import Vapor
import XCTest

@testable import CareWeb

/// SQLite group commit: concurrent writes share commits, and a failing job costs no one else.
final class WriteQueueTests: XCTestCase {
    func testConcurrentReviewsAreAllStoredInSharedCommits() async throws {
        let server = try await TestServer.start(.sqlite) { $0.publicReviewBurst = 100 }
        do {
            // setup
            let (store, key) = try await server.makeStore()
            let queue = try XCTUnwrap(server.app.care.storage.queue)
            let before = (await queue.batches, await queue.jobs)
            // act: 60 reviews at once, a third of them through the public form for a product that does not exist
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "real", email: "seed@example.com"))
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for i in 0..<60 {
                    group.addTask {
                        if i % 3 == 0 {
                            return try await server.send(
                                .POST, "/api/v1/public/stores/\(store.slug)/products/ghost/reviews",
                                json: ["rating": 2, "author_name": "G", "author_email": "g\(i)@example.com"]
                            ).status.code
                        }
                        return try await server.send(
                            .POST, "/api/v1/reviews", key: key,
                            json: reviewJSON(product: "real", email: "c\(i)@example.com", rating: i % 5 + 1)
                        ).status.code
                    }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            // check
            XCTAssertEqual(statuses.filter { $0 == 201 }.count, 40)
            XCTAssertEqual(statuses.filter { $0 == 404 }.count, 20, "the failing jobs get their own error")
            let total = try await server.reviewTotal(key: key)
            XCTAssertEqual(total, 41)
            let summary = try await server.publicSummary(store.slug, "real")
            XCTAssertEqual(summary.count, 41)
            let after = (await queue.batches, await queue.jobs)
            XCTAssertLessThan(after.0 - before.0, after.1 - before.1, "some batches carried more than one write")
        } catch {
            XCTFail("\(error)")
        }
        await server.stop()
    }
}

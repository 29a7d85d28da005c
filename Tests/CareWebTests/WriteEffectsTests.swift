import Vapor
import XCTest

@testable import CareCore
@testable import CareWeb

/// What a write changes for readers is reported by the write itself and acted on by the storage
/// layer after the commit: a service called with no controller around it still drops the cached lists.
final class WriteEffectsTests: XCTestCase {
    func testAWriteOutsideAnyControllerDropsThePublicListsItChanged() async throws {
        // Cached lists live a minute here: a fresh answer right after a write was dropped by that write.
        try await onEachBackend(tweak: { $0.publicCacheSeconds = 60 }) { server in
            // setup: two published reviews of one product, the list read once (so it is cached)
            let (store, key) = try await server.makeStore()
            let first = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "lamp", email: "a@example.com", rating: 5, body: "Bright."))
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "lamp", email: "b@example.com", rating: 4, body: "Good."))
            let firstID = try XCTUnwrap(UUID(uuidString: try XCTUnwrap(try first.json["id"] as? String)))
            let path = "/api/v1/public/stores/\(store.slug)/products/lamp/reviews"
            let before = try await server.send(.GET, path).decoded(API.PublicReviewList.self).reviews
            XCTAssertEqual(before.count, 2)

            // act: the store answers one review and rejects the other, through CareCore directly
            let storeID = try store.requireID()
            let other = try XCTUnwrap(before.first { UUID(uuidString: $0.id) != firstID })
            let otherID = try XCTUnwrap(UUID(uuidString: other.id))
            _ = try await ReviewReplies.reply(
                reviewID: firstID, storeID: storeID, body: "Thank you!", storage: server.app.care.storage, on: server.app.db)
            _ = try await ReviewModeration.reject(
                reviewID: otherID, storeID: storeID, reason: "spam", by: "test",
                storage: server.app.care.storage, on: server.app.db)

            // check: the next read shows both changes
            let after = try await server.send(.GET, path).decoded(API.PublicReviewList.self).reviews
            XCTAssertEqual(after.count, 1)
            XCTAssertEqual(after.first?.reply?.body, "Thank you!")
        }
    }
}

import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

final class ReviewAPITests: XCTestCase {
    func testCreateReviewStoresItAndCreatesProductAndCustomerOnTheFly() async throws {
        try await onEachBackend { server in
            // setup
            let (_, key) = try await server.makeStore()
            // act
            let r = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(
                    product: "mug", productName: "Mug", email: " Ann@Example.COM ",
                    name: "Ann Smith", rating: 4, title: "Nice", body: "Keeps warm"))
            // check
            XCTAssertEqual(r.status, .created, r.text)
            let review: API.Review = try r.decoded()
            XCTAssertNotNil(UUID(uuidString: review.id))
            XCTAssertEqual(review.status, "published")
            XCTAssertEqual(review.verified, false)
            XCTAssertEqual(review.rating, 4)
            XCTAssertEqual(review.source, "api")
            XCTAssertEqual(review.authorName, "Ann S.")
            XCTAssertNotNil(API.date(review.createdAt), "a date as the API writes them")
            XCTAssertEqual(review.customer?.email, "ann@example.com")
            XCTAssertEqual(review.product?.externalId, "mug")
            XCTAssertTrue(try r.json["reply"] is NSNull, "reply is written as null")

            // The same customer in other spelling is the same customer.
            let again = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(product: "mug", email: "ann@example.com", rating: 2, body: "cracked"))
            XCTAssertEqual(try again.decoded(API.Review.self).customer?.id, try XCTUnwrap(review.customer?.id))
        }
    }

    func testReviewNamingTheCustomersOrderWithThatProductIsVerified() async throws {
        try await onEachBackend { server in
            // setup
            let (_, key) = try await server.makeStore()
            let order = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: [
                    "external_id": "A-1", "customer": ["email": "ann@example.com"],
                    "items": [["product": ["external_id": "mug", "name": "Mug"], "quantity": 2, "unit_price": 1250]],
                    "placed_at": "2026-10-01T10:00:00Z", "fulfilled_at": "2026-10-03T09:30:00.250Z",
                ])
            XCTAssertEqual(order.status, .created, order.text)
            XCTAssertEqual((try order.json)["total"] as? Int, 2500)
            // act
            let named = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "mug", email: "ann@example.com", order: "A-1"))
            let unnamed = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "mug", email: "ann@example.com", body: "second"))
            let otherCustomer = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "mug", email: "eve@example.com", order: "A-1"))
            let otherProduct = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "bowl", email: "ann@example.com", order: "A-1"))
            let noSuchOrder = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "mug", email: "ann@example.com", body: "third", order: "nope"))
            // check
            XCTAssertEqual(try named.decoded(API.Review.self).verified, true)
            XCTAssertNotNil(try named.decoded(API.Review.self).orderId)
            XCTAssertEqual(try unnamed.decoded(API.Review.self).verified, true, "any order of the reviewer with the product verifies")
            XCTAssertEqual(try otherCustomer.decoded(API.Review.self).verified, false, "someone else's order never verifies")
            XCTAssertEqual(try otherProduct.decoded(API.Review.self).verified, false, "an order without the product never verifies")
            XCTAssertEqual(try noSuchOrder.decoded(API.Review.self).verified, false)
        }
    }

    func testOrderResentWithSameExternalIDUpdatesIt() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            let body: [String: Any] = [
                "external_id": "B-7", "customer": ["email": "bo@example.com"],
                "items": [["product": ["external_id": "p1", "name": "P1"], "quantity": 1]],
            ]
            let first = try await server.send(.POST, "/api/v1/orders", key: key, json: body)
            var update = body
            update["fulfilled_at"] = "2026-11-01T08:00:00Z"
            let second = try await server.send(.POST, "/api/v1/orders", key: key, json: update)
            XCTAssertEqual(first.status, .created)
            XCTAssertEqual(second.status, .ok, second.text)
            XCTAssertEqual(try first.json["id"] as? String, try second.json["id"] as? String)
            XCTAssertEqual(try second.json["fulfilled_at"] as? String, "2026-11-01T08:00:00.000Z")
            var hijack = body
            hijack["customer"] = ["email": "mallory@example.com"]
            let third = try await server.send(.POST, "/api/v1/orders", key: key, json: hijack)
            XCTAssertEqual(third.status, .conflict, "an order cannot be moved to another customer")
        }
    }

    func testStoreListFiltersAndCountsEveryStatus() async throws {
        try await onEachBackend { server in
            // setup: three products' reviews, one held for links
            let (_, key) = try await server.makeStore()
            for (i, rating) in [1, 2, 5, 5].enumerated() {
                let r = try await server.send(
                    .POST, "/api/v1/reviews", key: key,
                    json: reviewJSON(product: "p\(i % 2)", email: "c\(i)@example.com", rating: rating))
                XCTAssertEqual(r.status, .created)
            }
            let held = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(
                    product: "p0", email: "spam@example.com", rating: 5, body: "buy at http://a.example and http://b.example"))
            XCTAssertEqual(try held.decoded(API.Review.self).status, "pending")
            // act / check
            func list(_ query: String) async throws -> API.ReviewList {
                try await server.send(.GET, "/api/v1/reviews?" + query, key: key).decoded()
            }
            let all = try await list("per_page=2")
            XCTAssertEqual(all.total, 5)
            XCTAssertEqual(all.reviews.count, 2)
            XCTAssertEqual(all.perPage, 2)
            let pending = try await list("status=pending")
            XCTAssertEqual(pending.total, 1)
            XCTAssertEqual(pending.reviews.map(\.status), ["pending"])
            let fives = try await list("rating=5")
            XCTAssertEqual(fives.total, 3)
            XCTAssertEqual(Set(fives.reviews.map(\.rating)), [5])
            let p1 = try await list("product=p1")
            XCTAssertEqual(p1.total, 2)
            XCTAssertEqual(Set(p1.reviews.compactMap(\.product?.externalId)), ["p1"])
            let unknown = try await list("product=nope")
            XCTAssertEqual(unknown.total, 0)
            let page3 = try await list("per_page=2&page=3")
            XCTAssertEqual(page3.reviews.count, 1)
        }
    }

    func testReplyIsPublicAndReplacedWhenSentAgain() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let created = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "k", rating: 1, body: "leaks"))
            let id = try created.decoded(API.Review.self).id
            // act
            let first = try await server.send(.POST, "/api/v1/reviews/\(id)/reply", key: key, json: ["body": "Sorry! A new lid is on its way."])
            let second = try await server.send(.POST, "/api/v1/reviews/\(id)/reply", key: key, json: ["body": "Sorry! A new kettle is on its way."])
            // check
            XCTAssertEqual(first.status, .created, first.text)
            XCTAssertEqual(second.status, .created)
            let shown: API.Review = try await server.send(.GET, "/api/v1/reviews/\(id)", key: key).decoded()
            XCTAssertEqual(shown.reply?.body, "Sorry! A new kettle is on its way.")
            let page: API.PublicReviewList = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/products/k/reviews").decoded()
            let review = try XCTUnwrap(page.reviews.first)
            XCTAssertEqual(review.reply?.body, "Sorry! A new kettle is on its way.")
        }
    }

    func testPersonCanRejectWithReasonAndPublishAgainAndSummaryFollows() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let created = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "k", rating: 2, body: "my phone number is 555-0100"))
            let id = try created.decoded(API.Review.self).id
            func summaryCount() async throws -> Int? { try await server.publicSummary(store.slug, "k").count }
            let before = try await summaryCount()
            XCTAssertEqual(before, 1)
            // act: reject needs a reason
            let noReason = try await server.send(.POST, "/api/v1/reviews/\(id)/reject", key: key, json: ["reason": "  "])
            XCTAssertEqual(noReason.status, .unprocessableEntity)
            let rejected = try await server.send(.POST, "/api/v1/reviews/\(id)/reject", key: key, json: ["reason": "personal data"])
            // check
            let refused: API.Review = try rejected.decoded()
            XCTAssertEqual(refused.status, "rejected")
            XCTAssertEqual(refused.statusReason, "personal data")
            XCTAssertEqual(refused.moderatedBy, "api")
            let afterReject = try await summaryCount()
            XCTAssertEqual(afterReject, 0)
            let published = try await server.send(.POST, "/api/v1/reviews/\(id)/publish", key: key)
            XCTAssertEqual(try published.decoded(API.Review.self).status, "published")
            let afterPublish = try await summaryCount()
            XCTAssertEqual(afterPublish, 1)
        }
    }

    func testAKnownProductMayBeNamedByItsIDAloneANewOneNeedsAName() async throws {
        try await onEachBackend { server in
            // setup: the product is known from an order
            let (store, key) = try await server.makeStore()
            let first = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: orderJSON(id: "N-1", email: "n@example.com", fulfilledDaysAgo: 1, products: [("kettle", "Kettle")]))
            XCTAssertEqual(first.status, .created, first.text)
            // act: a review and an order naming it by id alone
            var review = reviewJSON(product: "kettle", email: "n@example.com")
            review["product"] = ["external_id": "kettle"]
            let r = try await server.send(.POST, "/api/v1/reviews", key: key, json: review)
            let o = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: [
                    "external_id": "N-2", "customer": ["email": "n@example.com"], "items": [["product": ["external_id": "kettle"], "quantity": 2]],
                ])
            // check: both taken, and the product keeps its name
            XCTAssertEqual(r.status, .created, r.text)
            XCTAssertEqual(o.status, .created, o.text)
            let product = try await Product.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$externalID == "kettle").all()
            XCTAssertEqual(product.map(\.name), ["Kettle"])
            // check: a new product without a name is refused, naming the field, and nothing is stored
            let newItem = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: [
                    "external_id": "N-3", "customer": ["email": "n@example.com"],
                    "items": [["product": ["external_id": "kettle"], "quantity": 1], ["product": ["external_id": "lid"], "quantity": 1]],
                ])
            XCTAssertEqual(newItem.status, .unprocessableEntity)
            XCTAssertTrue(newItem.errorMessage?.hasPrefix("items[1].product.name") == true, newItem.text)
            let orders = try await Order.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(orders, 2)
        }
    }
}

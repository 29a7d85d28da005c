import CareCore
import Fluent
import Foundation
import Vapor
import XCTest

@testable import CareWeb

/// A Shopify shop connected with two pasted values: its orders, fulfilments, refunds and privacy
/// requests arrive as signed webhooks (bodies from `Tests/fixtures/connect`, written from Shopify's
/// documentation) and drive the loop: a request when due, a 1★ from its link, the order beside the
/// reply box, a refund that stops a request, an erasure.
final class ShopifyConnectionTests: XCTestCase {
    func testAShopifyOrderIsAskedForAReviewAndItsStoryReachesTheReplyBox() async throws {
        let sink = SMTPSink()
        try sink.start()
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: a store asking the day an order is fulfilled, at any hour, connected to Shopify
            let (store, key, owner) = try await server.storeWithOwner()
            var settings = RequestSettings()
            (settings.delayDays, settings.quietStartHour, settings.quietEndHour) = (0, 0, 0)
            try await RequestSettings.save(settings, storeID: store.id!, storage: server.app.care.storage, on: server.app.db)
            let (connection, secret) = try await server.connect("shopify", key: key)
            let fulfilled = Date().addingTimeInterval(-3_600)
            let buyer = "lena-\(server.backend)@example.com"

            // act: orders/create, then orders/fulfilled (Shopify's own bodies, times moved to today)
            var created = try ShopFixture("shopify-orders-create")
            try created.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: fulfilled)
            created.json["email"] = buyer
            var done = try ShopFixture("shopify-orders-fulfilled")
            try done.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: fulfilled)
            done.json["email"] = buyer
            let first = try await server.shopify(connection, topic: "orders/create", body: try created.data, secret: secret)
            XCTAssertEqual(first.status, .ok, first.text)
            XCTAssertEqual(try first.json["result"] as? String, "applied")
            let second = try await server.shopify(connection, topic: "orders/fulfilled", body: try done.data, secret: secret)
            XCTAssertEqual(second.status, .ok, second.text)

            // check: the order as the API reads it back, with what Shopify said
            let v41 = try await server.order("5938471230981", key: key)
            let order = try XCTUnwrap(v41)
            XCTAssertEqual((order["customer"] as? [String: Any])?["email"] as? String, buyer)
            XCTAssertEqual(order["source"] as? String, "shopify")
            XCTAssertEqual(order["locale"] as? String, "de")
            XCTAssertEqual(order["country"] as? String, "DE")
            XCTAssertEqual(order["marketing_consent"] as? Bool, true)
            XCTAssertEqual(order["total"] as? Int, 12_990)
            XCTAssertEqual(order["currency"] as? String, "EUR")
            XCTAssertNotNil(order["fulfilled_at"] as? String, "\(order)")
            XCTAssertEqual((order["items"] as? [[String: Any]])?.count, 2)
            XCTAssertEqual(order["review_request"] as? String, "scheduled")

            // act: the sweep an hour before fulfilment finds nothing due; at the real time, the request goes
            let early = try await ReviewRequests.sweep(
                storage: server.app.care.storage.withClock { fulfilled.addingTimeInterval(-3_600) }, on: server.app.db)
            XCTAssertEqual(early, 0, "not due before the order was fulfilled")
            try await ReviewRequests.sweep(storage: server.app.care.storage, on: server.app.db)
            let v57 = try await sink.waitFor(1, to: buyer).first
            let mail = try XCTUnwrap(v57)
            let text = try XCTUnwrap(mail["text"] as? String)

            // act: the buyer gives one star from the mail's link to the first product
            let oneStar = try XCTUnwrap(shopLinks(in: text).first { $0.contains("product=8120394857001&stars=1") }, text)
            let form = String(oneStar.prefix { $0 != "?" })
            let posted = try await server.send(
                .POST, form, raw: Data("product=8120394857001&rating=1&body=Arrived+cracked".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(posted.status, .seeOther, posted.text)

            // check: a conversation opened, and its page shows the Shopify order beside the reply box
            let v69 = try await Conversation.query(on: server.app.db).filter(\.$storeID == store.id!).first()
            let conversation = try XCTUnwrap(v69, "a 1★ opens a conversation")
            let page = try await owner.get("/app/conversations/\(conversation.id!)")
            XCTAssertEqual(page.status, .ok)
            let card = page.text.components(separatedBy: "id=\"orders-card\"").last ?? ""
            XCTAssertTrue(card.contains("5938471230981") && card.contains("from Shopify"), card.prefix(800).description)

            // act: a second order, fulfilled, then refunded in full (refunds/create)
            var other = try ShopFixture("shopify-orders-fulfilled")
            try other.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: fulfilled)
            other.json["id"] = 5_938_471_239_999
            other.json["email"] = "max-\(server.backend)@example.com"
            let otherMade = try await server.shopify(connection, topic: "orders/fulfilled", body: try other.data, secret: secret)
            XCTAssertEqual(otherMade.status, .ok, otherMade.text)
            let v82 = try await server.order("5938471239999", key: key)?["review_request"] as? String
            XCTAssertEqual(v82, "scheduled")
            var refund = try ShopFixture("shopify-refunds-create")
            refund.json["order_id"] = 5_938_471_239_999
            try refund.moveDates(anchor: "2026-11-28T14:03:22-05:00", to: Date())
            let refunded = try await server.shopify(connection, topic: "refunds/create", body: try refund.data, secret: secret)
            XCTAssertEqual(refunded.status, .ok, refunded.text)
            // check: its request stopped, the first order's did not
            let v88 = try await server.order("5938471239999", key: key)
            let otherOrder = try XCTUnwrap(v88)
            XCTAssertEqual(otherOrder["review_request"] as? String, "stopped: refunded")
            XCTAssertNotNil(otherOrder["refunded_at"] as? String)
            let v91 = try await server.order("5938471230981", key: key)?["review_request"] as? String
            XCTAssertEqual(v91, "stopped: reviewed")

            // act: customers/redact for the first buyer
            var redact = try ShopFixture("shopify-customers-redact")
            var customer = try XCTUnwrap(redact.json["customer"] as? [String: Any])
            customer["email"] = buyer
            redact.json["customer"] = customer
            let erased = try await server.shopify(connection, topic: "customers/redact", body: try redact.data, secret: secret)
            XCTAssertEqual(erased.status, .ok, erased.text)
            // check: the customer is erased (their orders gone, their address replaced), the other buyer kept
            let customers = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).all()
            XCTAssertFalse(customers.contains { $0.email == buyer })
            XCTAssertEqual(customers.filter { $0.erasedAt != nil }.count, 1)
            let v104 = try await server.order("5938471230981", key: key)
            XCTAssertNil(v104)
            let v105 = try await server.order("5938471239999", key: key)
            XCTAssertNotNil(v105)

            // check: the connection shows it is connected, with its topics counted
            let shown = try await server.send(.GET, "/api/v1/connections/\(connection)", key: key, contentType: nil)
            XCTAssertEqual(try shown.json["status"] as? String, "connected")
            XCTAssertNil(try shown.json["secret"], "the secret is shown once, when the connection is made")
            XCTAssertEqual(try shown.json["last_event_topic"] as? String, "customers/redact")
        }
    }

    func testOutOfOrderAndRepeatedDeliveriesEndInTheLatestState() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            let (connection, secret) = try await server.connect("shopify", key: key)
            let now = Date().addingTimeInterval(-600)
            var created = try ShopFixture("shopify-orders-create")
            try created.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: now)
            var fulfilled = try ShopFixture("shopify-orders-fulfilled")
            try fulfilled.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: now)

            // act: fulfilled arrives first, then the older orders/create, then fulfilled again (Shopify's retry)
            let id = UUID().uuidString
            for (topic, body, delivery) in [
                ("orders/fulfilled", try fulfilled.data, id), ("orders/create", try created.data, UUID().uuidString),
                ("orders/fulfilled", try fulfilled.data, id),
            ] {
                let r = try await server.shopify(connection, topic: topic, body: body, secret: secret, deliveryID: delivery)
                XCTAssertEqual(r.status, .ok, r.text)
            }
            // check: one order, still fulfilled; the older state and the repeat changed nothing
            let v135 = try await server.order("5938471230981", key: key)
            let order = try XCTUnwrap(v135)
            XCTAssertNotNil(order["fulfilled_at"] as? String, "the older orders/create did not undo the fulfilment")
            let list = try await server.send(.GET, "/api/v1/orders", key: key, contentType: nil)
            XCTAssertEqual(try list.json["total"] as? Int, 1)
            let recent = try await ShopConnections.activity(UUID(uuidString: connection.id)!, now: Date(), on: server.app.db).recent
            XCTAssertEqual(Set(recent.map(\.outcome)), ["applied", "stale"], "\(recent.map(\.outcome))")
            XCTAssertEqual(recent.count, 2, "the repeat was not recorded twice")

            // act: another store's key reaches for the connection; then the owner deletes it
            let (_, otherKey) = try await server.makeStore("other")
            for (method, body) in [(HTTPMethod.GET, nil), (.PATCH, ["paused": true]), (.DELETE, nil)] as [(HTTPMethod, [String: Any]?)] {
                let r = try await server.send(
                    method, "/api/v1/connections/\(connection)", key: otherKey, json: body, contentType: body == nil ? nil : "application/json")
                XCTAssertEqual(r.status, .notFound, "\(method) by another store: \(r.text)")
            }
            let deleted = try await server.send(.DELETE, "/api/v1/connections/\(connection)", key: key, contentType: nil)
            XCTAssertEqual(deleted.status, .noContent, deleted.text)
            // check: the connection is gone, its deliveries are refused, the order it brought stays
            let gone = try await server.send(.GET, "/api/v1/connections/\(connection)", key: key, contentType: nil)
            XCTAssertEqual(gone.status, .notFound)
            let late = try await server.shopify(connection, topic: "orders/updated", body: try fulfilled.data, secret: secret)
            XCTAssertEqual(late.status, .notFound)
            let kept = try await server.order("5938471230981", key: key)
            XCTAssertNotNil(kept, "deleting a connection keeps its orders")
        }
    }
}

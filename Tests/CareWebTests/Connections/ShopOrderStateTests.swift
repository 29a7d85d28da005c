import CareCore
import Fluent
import Foundation
import Vapor
import XCTest

@testable import CareWeb

/// An order ends in the shop's latest state whatever order its deliveries come in: refunds counted
/// once, a restored order asked again, a corrected address followed, an erased customer never
/// brought back, WooCommerce's shared delivery ids not mistaken for repeats.
final class ShopOrderStateTests: XCTestCase {
    func testWooCommerceDeliveriesSharingADeliveryIDAreEachApplied() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            let (connection, secret) = try await server.connect("woocommerce", key: key, domain: "shop.example.com")
            // act: three orders completed in one second: WooCommerce gives them one delivery id
            for id in [4901, 4902, 4903] {
                var order = try ShopFixture("woocommerce-order-completed")
                try order.moveDates(anchor: "2026-11-24T10:02:41", to: Date().addingTimeInterval(-60))
                order.json["id"] = id
                let r = try await server.woocommerce(connection, topic: "order.updated", body: try order.data, secret: secret, deliveryID: "same")
                XCTAssertEqual(try r.json["result"] as? String, "applied", r.text)
            }
            // check: three orders
            for id in ["4901", "4902", "4903"] {
                let order = try await server.order(id, key: key)
                XCTAssertNotNil(order, id)
            }
        }
    }

    func testARefundInTheOrdersStateIsNotCountedAgain() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            let (connection, secret) = try await server.connect("shopify", key: key)
            let refundedAt = Date().addingTimeInterval(-120)
            // setup: the order's update listing a refund of 64.95 arrives first (Shopify sends both, in any order)
            var updated = try ShopFixture("shopify-orders-fulfilled")
            try updated.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: refundedAt.addingTimeInterval(1))
            updated.json["financial_status"] = "partially_refunded"
            updated.json["refunds"] = [
                ["id": 1, "created_at": ISODate.format(refundedAt), "transactions": [["kind": "refund", "status": "success", "amount": "64.95"]]]
            ]
            _ = try await server.shopify(connection, topic: "orders/updated", body: try updated.data, secret: secret)
            // act: the refund's own delivery
            var refund = try ShopFixture("shopify-refunds-create")
            refund.json["transactions"] = [["kind": "refund", "status": "success", "amount": "64.95", "currency": "EUR"]]
            try refund.moveDates(anchor: "2026-11-28T14:03:22-05:00", to: refundedAt)
            let r = try await server.shopify(connection, topic: "refunds/create", body: try refund.data, secret: secret)
            XCTAssertEqual(r.status, .ok, r.text)
            // check: counted once, not refunded in full, still asked
            let found1 = try await server.order("5938471230981", key: key)
            let order = try XCTUnwrap(found1)
            XCTAssertEqual(order["refunded"] as? Int, 6_495)
            XCTAssertTrue(order["refunded_at"] is NSNull, "\(order)")
            XCTAssertEqual(order["review_request"] as? String, "scheduled")
        }
    }

    func testTheShopsLatestStateStands() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let (connection, secret) = try await server.connect("shopify", key: key)
            let base = Date().addingTimeInterval(-3_600)
            func order(at: Date, _ change: (inout ShopFixture) -> Void) throws -> Data {
                var o = try ShopFixture("shopify-orders-fulfilled")
                try o.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: at)
                change(&o)
                return try o.data
            }
            // act: fulfilled with a mistyped address; cancelled (and the address corrected); then restored
            _ = try await server.shopify(
                connection, topic: "orders/fulfilled", body: try order(at: base) { $0.json["email"] = "lena@exmaple.com" }, secret: secret)
            let cancelled = try await server.shopify(
                connection, topic: "orders/cancelled",
                body: try order(at: base.addingTimeInterval(60)) {
                    $0.json["email"] = "lena@example.com"
                    $0.json["cancelled_at"] = ISODate.format(base.addingTimeInterval(60))
                }, secret: secret)
            XCTAssertEqual(try cancelled.json["result"] as? String, "applied", cancelled.text)
            // check: cancelled, the request stopped, the order with the corrected buyer
            let found2 = try await server.order("5938471230981", key: key)
            var kept = try XCTUnwrap(found2)
            XCTAssertNotNil(kept["cancelled_at"] as? String)
            XCTAssertEqual(kept["review_request"] as? String, "stopped: cancelled")
            XCTAssertEqual((kept["customer"] as? [String: Any])?["email"] as? String, "lena@example.com")
            // act: the shop restores it (a newer state without the cancellation)
            let restored = try await server.shopify(
                connection, topic: "orders/updated", body: try order(at: base.addingTimeInterval(120)) { $0.json["email"] = "lena@example.com" },
                secret: secret)
            XCTAssertEqual(restored.status, .ok, restored.text)
            // check: no longer cancelled, asked again, to the corrected address
            let found3 = try await server.order("5938471230981", key: key)
            kept = try XCTUnwrap(found3)
            XCTAssertTrue(kept["cancelled_at"] is NSNull, "\(kept)")
            XCTAssertEqual(kept["review_request"] as? String, "scheduled")
            let found4 = try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).first()
            let request = try XCTUnwrap(found4)
            let asked = try await Customer.find(request.customerID, on: server.app.db)
            XCTAssertEqual(asked?.email, "lena@example.com")
        }
    }

    func testAnErasedCustomersOrderIsNotBroughtBack() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let (connection, secret) = try await server.connect("shopify", key: key)
            var fulfilled = try ShopFixture("shopify-orders-fulfilled")
            try fulfilled.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: Date().addingTimeInterval(-600))
            _ = try await server.shopify(connection, topic: "orders/fulfilled", body: try fulfilled.data, secret: secret)
            let redact = try await server.shopify(
                connection, topic: "customers/redact", body: try ShopFixture("shopify-customers-redact").data, secret: secret)
            XCTAssertEqual(redact.status, .ok, redact.text)
            // act: an older state of the order arrives late
            var late = try ShopFixture("shopify-orders-create")
            try late.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: Date().addingTimeInterval(-600))
            let r = try await server.shopify(connection, topic: "orders/updated", body: try late.data, secret: secret)
            XCTAssertEqual(r.status, .ok, r.text)
            XCTAssertEqual(try r.json["result"] as? String, "ignored", r.text)
            // check: no order, no customer with the address, no request
            let order = try await server.order("5938471230981", key: key)
            XCTAssertNil(order)
            let customers = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).filter(
                \.$email == "lena.hoffmann@example.com"
            ).count()
            XCTAssertEqual(customers, 0)
            let requests = try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$nextSendAt != nil).count()
            XCTAssertEqual(requests, 0)
        }
    }

    func testOddValuesAreKeptOrLeftOffAndSaid() async throws {
        try await onEachBackend { server in
            let (_, key) = try await server.makeStore()
            let (connection, secret) = try await server.connect("shopify", key: key)
            var o = try ShopFixture("shopify-orders-create")
            var lines = try XCTUnwrap(o.json["line_items"] as? [[String: Any]])
            lines[0]["sku"] = String(repeating: "S", count: 230)
            lines[0]["name"] = String(repeating: "N", count: 600)
            lines[1]["price"] = "-5.00"
            o.json["line_items"] = lines
            var customer = try XCTUnwrap(o.json["customer"] as? [String: Any])
            customer["first_name"] = String(repeating: "A", count: 60)
            customer["last_name"] = String(repeating: "B", count: 60)
            o.json["customer"] = customer
            let r = try await server.shopify(connection, topic: "orders/create", body: try o.data, secret: secret)
            XCTAssertEqual(r.status, .ok, r.text)
            XCTAssertTrue((try r.json["note"] as? String)?.contains("the buyer's name (over 100 characters) was not kept") == true, r.text)
            // check: the long values are kept exactly; the negative price is not taken for a price
            let found5 = try await server.order("5938471230981", key: key)
            let order = try XCTUnwrap(found5)
            let items = try XCTUnwrap(order["items"] as? [[String: Any]])
            XCTAssertTrue(items.contains { ($0["sku"] as? String)?.count == 230 && ($0["name"] as? String)?.count == 600 }, "\(items)")
            XCTAssertTrue(items.contains { $0["unit_price"] is NSNull }, "\(items)")
            XCTAssertTrue((order["customer"] as? [String: Any])?["name"] is NSNull)
            // check: an id with a NUL byte is not found, on either database
            let nul = try await server.send(.GET, "/api/v1/orders/a%00b", key: key, contentType: nil)
            XCTAssertEqual(nul.status, .notFound, nul.text)
            let bad = try await server.shopify(
                connection, topic: "fulfillments/create",
                body: Data(#"{"order_id":"a\u0000b","status":"success","created_at":"2026-12-01T10:00:00Z"}"#.utf8), secret: secret)
            XCTAssertEqual(bad.status, .badRequest, bad.text)
        }
    }

    func testSecondLookCases() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let (shop, secret) = try await server.connect("shopify", key: key)
            let (staging, stagingSecret) = try await server.connect("shopify", key: key, domain: "staging.myshopify.com")
            let (woo, wooSecret) = try await server.connect("woocommerce", key: key, domain: "shop.example.com")
            let t = Date().addingTimeInterval(-600)
            func shopify(at: Date, _ change: (inout ShopFixture) -> Void = { _ in }) throws -> Data {
                var o = try ShopFixture("shopify-orders-fulfilled")
                try o.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: at)
                change(&o)
                return try o.data
            }

            // a WooCommerce partial refund (written negative) is recorded
            var partly = try ShopFixture("woocommerce-order-completed")
            try partly.moveDates(anchor: "2026-11-24T10:02:41", to: t)
            partly.json["refunds"] = [["id": 1, "reason": "", "total": "-15.00"]]
            _ = try await server.woocommerce(woo, topic: "order.updated", body: try partly.data, secret: wooSecret)
            let wooOrder = try await server.order("4817", key: key)
            XCTAssertEqual(wooOrder?["refunded"] as? Int, 1_500)

            // a cancellation and a state without it in the same second: the cancellation stands
            _ = try await server.shopify(
                shop, topic: "orders/cancelled", body: try shopify(at: t) { $0.json["cancelled_at"] = ISODate.format(t) }, secret: secret)
            let same = try await server.shopify(shop, topic: "orders/paid", body: try shopify(at: t), secret: secret)
            XCTAssertEqual(same.status, .ok, same.text)
            let kept = try await server.order("5938471230981", key: key)
            XCTAssertNotNil(kept?["cancelled_at"] as? String, "\(kept ?? [:])")

            // a staging shop with the same order id, another buyer: it does not take the order over
            let other = try await server.shopify(
                staging, topic: "orders/updated", body: try shopify(at: t.addingTimeInterval(300)) { $0.json["email"] = "staging@example.com" },
                secret: stagingSecret)
            XCTAssertEqual(try other.json["result"] as? String, "ignored", other.text)
            let still = try await server.order("5938471230981", key: key)
            XCTAssertEqual((still?["customer"] as? [String: Any])?["email"] as? String, "lena.hoffmann@example.com")
            XCTAssertNotNil(still?["cancelled_at"] as? String)

            // customers/redact with the buyer's new address erases the customer holding the orders named
            var redact = try ShopFixture("shopify-customers-redact")
            var customer = try XCTUnwrap(redact.json["customer"] as? [String: Any])
            customer["email"] = "lena.new@example.com"
            redact.json["customer"] = customer
            redact.json["orders_to_redact"] = [5_938_471_230_981, "not an id \u{0}"]
            let r = try await server.shopify(shop, topic: "customers/redact", body: try redact.data, secret: secret)
            XCTAssertEqual(r.status, .ok, r.text)
            let gone = try await server.order("5938471230981", key: key)
            XCTAssertNil(gone)
            let lena = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$email == "lena.hoffmann@example.com")
                .count()
            XCTAssertEqual(lena, 0)
        }
    }
}

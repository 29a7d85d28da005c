import CareCore
import Fluent
import Foundation
import Vapor
import XCTest

@testable import CareWeb

/// WooCommerce: the ping when a webhook is saved, an order created then completed (the request is
/// scheduled), a refunded order (its request stops), and a product with its identifiers.
final class WooCommerceConnectionTests: XCTestCase {
    func testAWooCommerceShopsOrdersFlowIn() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let (connection, secret) = try await server.connect("woocommerce", key: key, domain: "shop.example.com")
            let completedAt = Date().addingTimeInterval(-7_200)

            // act: the ping WooCommerce sends when the webhook is saved (unsigned, a form)
            let ping = try await server.send(
                .POST, "/connect/woocommerce/\(connection.key)", raw: Data("webhook_id=17".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(ping.status, .ok, ping.text)
            XCTAssertEqual(try ping.json["result"] as? String, "ping")

            // act: order.created (processing), then order.updated reaching completed
            var created = try ShopFixture("woocommerce-order-created")
            try created.moveDates(anchor: "2026-11-24T10:02:41", to: completedAt)
            var completed = try ShopFixture("woocommerce-order-completed")
            try completed.moveDates(anchor: "2026-11-24T10:02:41", to: completedAt)
            let r1 = try await server.woocommerce(connection, topic: "order.created", body: try created.data, secret: secret)
            XCTAssertEqual(r1.status, .ok, r1.text)
            let v31 = try await server.order("4817", key: key)
            let processing = try XCTUnwrap(v31)
            XCTAssertTrue(processing["fulfilled_at"] is NSNull, "processing is not fulfilled: \(processing)")
            XCTAssertNil(processing["review_request"] as? String)
            let r2 = try await server.woocommerce(connection, topic: "order.updated", body: try completed.data, secret: secret)
            XCTAssertEqual(r2.status, .ok, r2.text)
            // check: completed is the fulfilment; the request is scheduled; the buyer's country is kept
            let v37 = try await server.order("4817", key: key)
            let order = try XCTUnwrap(v37)
            XCTAssertNotNil(order["fulfilled_at"] as? String)
            XCTAssertEqual(order["review_request"] as? String, "scheduled")
            XCTAssertEqual(order["source"] as? String, "woocommerce")
            XCTAssertEqual(order["country"] as? String, "AT")

            // act: a refunded order, and the same delivery again
            var refunded = try ShopFixture("woocommerce-order-refunded")
            try refunded.moveDates(anchor: "2026-11-26T13:18:55", to: Date().addingTimeInterval(-60))
            let body = try refunded.data
            for _ in 0..<2 {
                let r = try await server.woocommerce(connection, topic: "order.updated", body: body, secret: secret, deliveryID: "abc123")
                XCTAssertEqual(r.status, .ok, r.text)
            }
            let v51 = try await server.order("4822", key: key)
            let gone = try XCTUnwrap(v51)
            XCTAssertNotNil(gone["refunded_at"] as? String)
            XCTAssertNil(gone["review_request"] as? String, "a refunded order is never asked about")

            // act: a product with its identifiers
            let product = try ShopFixture("woocommerce-product-created")
            let p = try await server.woocommerce(connection, topic: "product.created", body: try product.data, secret: secret)
            XCTAssertEqual(p.status, .ok, p.text)
            let v59 = try await Product.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$externalID == "512").first()
            let kept = try XCTUnwrap(v59)
            XCTAssertEqual(kept.sku, product.json["sku"] as? String)
            XCTAssertEqual(kept.gtin, product.json["global_unique_id"] as? String)
            XCTAssertEqual(kept.url, product.json["permalink"] as? String)
        }
    }

    func testAStoppedRequestIsSaidOnTheCustomerProfile() async throws {
        try await onEachBackend { server in
            let (store, key, owner) = try await server.storeWithOwner()
            let (connection, secret) = try await server.connect("woocommerce", key: key, domain: "shop.example.com")
            var completed = try ShopFixture("woocommerce-order-completed")
            try completed.moveDates(anchor: "2026-11-24T10:02:41", to: Date().addingTimeInterval(-600))
            _ = try await server.woocommerce(connection, topic: "order.updated", body: try completed.data, secret: secret)
            // act: the shop cancels it afterwards (a newer state)
            var cancelled = completed
            cancelled.json["status"] = "cancelled"
            try cancelled.moveDates(anchor: ISODate.format(Date().addingTimeInterval(-600)), to: Date().addingTimeInterval(-60))
            let r = try await server.woocommerce(connection, topic: "order.updated", body: try cancelled.data, secret: secret)
            XCTAssertEqual(r.status, .ok, r.text)
            // check: the request stopped as cancelled, and the profile says so
            let v80 = try await server.order("4817", key: key)?["review_request"] as? String
            XCTAssertEqual(v80, "stopped: cancelled")
            let v81 = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).first()
            let customer = try XCTUnwrap(v81)
            let profile = try await owner.get("/app/customers/\(customer.id!)")
            XCTAssertTrue(profile.text.contains("stopped: cancelled"), profile.text)
        }
    }
}

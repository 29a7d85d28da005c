import CareCore
import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor
import XCTest

@testable import CareWeb

/// What a shop delivery is refused for, and that a refusal stores nothing; the same delivery sent
/// twenty times at once makes one order and one request.
final class ShopDeliveryRefusalTests: XCTestCase {
    func testRefusedDeliveriesStoreNothingAndShowOnTheConnection() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let (connection, secret) = try await server.connect("shopify", key: key)
            let (otherConnection, otherSecret) = try await server.connect("shopify", key: key, domain: "other.myshopify.com")
            let body = try ShopFixture("shopify-orders-fulfilled").data
            var tampered = body
            tampered.append(contentsOf: Array(" ".utf8))

            // act and check: each refusal, its status and code
            let cases: [(String, TestServer.Reply, HTTPStatus, String)] = [
                (
                    "no signature",
                    try await server.send(.POST, "/connect/shopify/\(connection.key)", raw: body, headers: ["X-Shopify-Topic": "orders/create"]),
                    .unauthorized, "missing_signature"
                ),
                (
                    "a wrong signature", try await server.shopify(connection, topic: "orders/create", body: body, secret: secret, signature: "AAAA"),
                    .unauthorized, "invalid_signature"
                ),
                (
                    "a signature over other bytes",
                    try await server.shopify(
                        connection, topic: "orders/create", body: tampered, secret: secret,
                        signature: ShopDeliveryController.sign(body, secret: secret)), .unauthorized, "invalid_signature"
                ),
                (
                    "another connection's secret", try await server.shopify(connection, topic: "orders/create", body: body, secret: otherSecret),
                    .unauthorized, "invalid_signature"
                ),
                (
                    "a WooCommerce route for a Shopify connection",
                    try await server.woocommerce(connection, topic: "order.created", body: body, secret: secret), .notFound, "not_found"
                ),
                (
                    "an unknown connection", try await server.shopify(.unknown, topic: "orders/create", body: body, secret: secret),
                    .notFound, "not_found"
                ),
                (
                    "a body over the limit",
                    try await server.shopify(
                        connection, topic: "orders/create", body: Data(repeating: 0x20, count: ShopDeliveryController.maxBytes + 1), secret: secret),
                    .payloadTooLarge, "delivery_too_large"
                ),
                (
                    "malformed JSON after a good signature",
                    try await server.shopify(connection, topic: "orders/create", body: Data("{\"id\": ".utf8), secret: secret), .badRequest,
                    "malformed_delivery"
                ),
                (
                    "JSON of the wrong shape", try await server.shopify(connection, topic: "orders/create", body: Data("[1,2]".utf8), secret: secret),
                    .badRequest, "malformed_delivery"
                ),
            ]
            for (what, reply, status, code) in cases {
                XCTAssertEqual(reply.status, status, "\(what): \(reply.text)")
                XCTAssertEqual(reply.errorCode, code, "\(what): \(reply.text)")
            }
            // act: paused, then a good delivery
            let paused = try await server.send(.PATCH, "/api/v1/connections/\(otherConnection)", key: key, json: ["paused": true])
            XCTAssertEqual(paused.status, .ok, paused.text)
            let refused = try await server.shopify(otherConnection, topic: "orders/create", body: body, secret: otherSecret)
            XCTAssertEqual(refused.status, .forbidden, refused.text)
            XCTAssertEqual(refused.errorCode, "connection_paused")

            // check: nothing stored from any of them
            let v46 = try await Order.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(v46, 0)
            let v47 = try await Customer.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(v47, 0)
            // check: the refusals and the unreadable ones show on the connection
            let shown = try await server.send(.GET, "/api/v1/connections/\(connection)", key: key, contentType: nil)
            XCTAssertGreaterThanOrEqual(try shown.json["refused_count"] as? Int ?? 0, 1)
            XCTAssertEqual(try shown.json["malformed_count"] as? Int, 2)
            XCTAssertEqual(try shown.json["status"] as? String, "waiting", "nothing signed and readable arrived")
            XCTAssertNotNil(try shown.json["last_refusal_reason"] as? String)
            // check: the good delivery is taken once resumed
            _ = try await server.send(.PATCH, "/api/v1/connections/\(otherConnection)", key: key, json: ["paused": false])
            let taken = try await server.shopify(otherConnection, topic: "orders/create", body: body, secret: otherSecret)
            XCTAssertEqual(taken.status, .ok, taken.text)
        }
    }

    func testTheSameDeliveryTwentyTimesAtOnceMakesOneOrderAndOneRequest() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let (connection, secret) = try await server.connect("shopify", key: key)
            var fulfilled = try ShopFixture("shopify-orders-fulfilled")
            try fulfilled.moveDates(anchor: "2026-11-23T08:42:17-05:00", to: Date().addingTimeInterval(-600))
            let body = try fulfilled.data
            let delivery = UUID().uuidString
            // act: twenty at once; one the node is too busy to read is sent again, as Shopify does
            let results = NIOLockedValueBox<[String]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        while true {
                            let r = try await server.shopify(connection, topic: "orders/fulfilled", body: body, secret: secret, deliveryID: delivery)
                            if r.status == .tooManyRequests {
                                try await Task.sleep(for: .milliseconds(20))
                                continue
                            }
                            XCTAssertEqual(r.status, .ok, r.text)
                            let result = try r.json["result"] as? String ?? "?"
                            results.withLockedValue { $0.append(result) }
                            return
                        }
                    }
                }
                try await group.waitForAll()
            }
            // check: one applied, nineteen duplicates; one order, one request
            let all = results.withLockedValue { $0 }
            XCTAssertEqual(all.filter { $0 == "applied" }.count, 1, "\(all)")
            XCTAssertEqual(all.filter { $0 == "duplicate" }.count, 19, "\(all)")
            let v90 = try await Order.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(v90, 1)
            let v91 = try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).count()
            XCTAssertEqual(v91, 1)
        }
    }
}

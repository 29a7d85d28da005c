import CareCore
import Foundation
import Vapor
import XCTest

@testable import CareWeb

/// A webhook body from `Tests/fixtures/connect` (written from the platforms' documentation), with
/// its ids, emails and times changed as a test needs: `dates` moves every date-time so that
/// `anchor` (one of the fixture's own times) falls on `to`.
struct ShopFixture {
    var json: [String: Any]

    init(_ name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/connect/\(name).json")
        json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], name)
    }

    /// Every date-time in the body moved by the same amount, so `anchor` becomes `to` (written in UTC).
    mutating func moveDates(anchor: String, to: Date) throws {
        let from = try XCTUnwrap(ImportDate.parse(anchor), anchor)
        let shift = to.timeIntervalSince(from)
        func move(_ value: Any) -> Any {
            if let s = value as? String, s.count >= 19, s.dropFirst(10).first == "T", let d = ImportDate.parse(s) {
                let moved = ISODate.format(d.addingTimeInterval(shift))
                // WooCommerce's `_gmt` times carry no zone: keep that shape.
                return s.count == 19 ? String(moved.prefix(19)) : moved
            }
            if let d = value as? [String: Any] { return d.mapValues(move) }
            if let a = value as? [Any] { return a.map(move) }
            return value
        }
        json = json.mapValues(move)
    }

    var data: Data { get throws { try JSONSerialization.data(withJSONObject: json) } }
}

/// A connection as a test uses it: its API id (what it reads as, in a path) and its delivery URL's key.
struct ShopLink: CustomStringConvertible {
    let id: String
    let key: String
    var description: String { id }
    /// A connection nobody made: a well-formed key no store has.
    static var unknown: ShopLink { ShopLink(id: UUID().uuidString, key: Secrets.randomToken(bytes: 32)) }
}

extension TestServer {
    /// A connection made through the API, with its secret.
    func connect(_ platform: String, key: String, domain: String = "bruehwerk.myshopify.com") async throws -> (link: ShopLink, secret: String) {
        let secret = "shpss_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let made = try await send(.POST, "/api/v1/connections", key: key, json: ["platform": platform, "shop_domain": domain, "secret": secret])
        XCTAssertEqual(made.status, .created, made.text)
        let url = try XCTUnwrap(try made.json["webhook_url"] as? String)
        XCTAssertTrue(url.contains("/connect/\(platform)/"), url)
        let link = ShopLink(id: try XCTUnwrap(try made.json["id"] as? String), key: String(url.split(separator: "/").last ?? ""))
        return (link, secret)
    }

    /// One Shopify delivery, signed with `secret` (or with `signature` as given).
    func shopify(
        _ connection: ShopLink, topic: String, body: Data, secret: String, deliveryID: String = UUID().uuidString, signature: String? = nil
    ) async throws -> Reply {
        try await send(
            .POST, "/connect/shopify/\(connection.key)", raw: body,
            headers: [
                "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": signature ?? ShopDeliveryController.sign(body, secret: secret),
                "X-Shopify-Webhook-Id": deliveryID, "X-Shopify-Shop-Domain": "bruehwerk.myshopify.com", "X-Shopify-API-Version": "2026-04",
            ])
    }

    /// One WooCommerce delivery, signed with `secret`.
    func woocommerce(_ connection: ShopLink, topic: String, body: Data, secret: String, deliveryID: String = UUID().uuidString) async throws -> Reply
    {
        try await send(
            .POST, "/connect/woocommerce/\(connection.key)", raw: body,
            headers: [
                "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Signature": ShopDeliveryController.sign(body, secret: secret),
                "X-WC-Webhook-Delivery-ID": deliveryID, "X-WC-Webhook-Source": "https://shop.example.com/",
                "X-WC-Webhook-Resource": String(topic.prefix { $0 != "." }), "X-WC-Webhook-Event": String(topic.split(separator: ".").last ?? ""),
            ])
    }

    func order(_ externalID: String, key: String) async throws -> [String: Any]? {
        let r = try await send(.GET, "/api/v1/orders/\(externalID)", key: key, contentType: nil)
        return r.status == .ok ? try r.json : nil
    }
}

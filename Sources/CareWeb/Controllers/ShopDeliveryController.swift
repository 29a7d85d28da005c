import CareCore
import Crypto
import Foundation
import Vapor

/// `POST /connect/shopify/{connection}` and `/connect/woocommerce/{connection}`: the shop's
/// webhooks. Unknown and paused connections are refused before any of the body is read; the body
/// is read within a size and a time limit, its HMAC checked over the raw bytes (constant time)
/// before anything is parsed, and its effect written with its delivery id in one transaction.
/// Answered 200 for anything applied, repeated or ignored: the platforms retry other answers and
/// drop webhooks that keep failing.
enum ShopDeliveryController {
    /// A large real order is tens of KB; an order with hundreds of lines stays well under this.
    static let maxBytes = 1_024 * 1_024

    static func shopify(_ req: Request) async throws -> Response { try await receive(req, platform: .shopify) }
    static func woocommerce(_ req: Request) async throws -> Response { try await receive(req, platform: .woocommerce) }

    static func receive(_ req: Request, platform: ShopPlatform) async throws -> Response {
        guard let id = req.parameters.get("connection").flatMap(UUID.init(uuidString:)),
            let connection = try await ShopConnections.forDelivery(id, on: req.db), connection.platform == platform
        else { throw CareError.notFound("connection") }
        if connection.paused {
            await noteRefusal(req, id, "paused: delivery refused")
            throw CareError(.forbidden, code: "connection_paused", message: "this connection is paused in CareLoop")
        }
        if let declared = req.headers.first(name: .contentLength).flatMap({ Int($0) }), declared > maxBytes {
            await noteRefusal(req, id, "a body of \(declared) bytes (the limit is \(maxBytes / 1024) KiB)")
            throw tooLarge()
        }
        // Memory for the body before any of it is read: its declared length, else the limit. An outsider
        // who knows a connection's URL and sends slowly holds little, and for at most the read's 10 s.
        let declared = req.headers.first(name: .contentLength).flatMap { Int($0) }
        guard let ticket = req.care.shopDeliveries.take(store: connection.storeID, address: req.clientAddress, bytes: max(1, declared ?? maxBytes))
        else {
            throw CareError(.rateLimited, code: "busy", message: "this store's deliveries are being read; try again shortly", retryAfter: 5)
        }
        let slots = req.care.shopDeliveries
        let body: Data
        do {
            defer { slots.release(ticket) }
            let buffer: ByteBuffer
            do { buffer = try await BodyReader.collect(req, max: min(maxBytes, declared ?? maxBytes), seconds: 10) } catch let e as Abort
                where e.status == .payloadTooLarge
            {
                await noteRefusal(req, id, "a body over \(maxBytes / 1024) KiB")
                throw tooLarge()
            }
            body = Data(buffer: buffer)
        }
        // WooCommerce's ping when a webhook is saved is a form post, unsigned: answered, nothing stored.
        if platform == .woocommerce, req.headers.first(name: "X-WC-Webhook-Signature") == nil, isPing(body) {
            return try JSONBody.response(DeliveryResult(result: "ping", note: nil))
        }
        let signatureHeader = platform == .shopify ? "X-Shopify-Hmac-Sha256" : "X-WC-Webhook-Signature"
        guard let signature = req.headers.first(name: signatureHeader) else {
            await noteRefusal(req, id, "no \(signatureHeader) header")
            throw CareError(.unauthorized, code: "missing_signature", message: "the delivery has no \(signatureHeader) header")
        }
        guard signatureMatches(signature, body: body, secret: connection.secret) else {
            await noteRefusal(req, id, "the signature does not match this connection's secret")
            throw CareError(.unauthorized, code: "invalid_signature", message: "the signature does not match this connection's secret")
        }
        let topic = headerText(req, platform == .shopify ? "X-Shopify-Topic" : "X-WC-Webhook-Topic") ?? ""
        // The platform's id for the delivery (the same on its retries); without one, the body is the id.
        let deliveryID =
            headerText(req, platform == .shopify ? "X-Shopify-Webhook-Id" : "X-WC-Webhook-Delivery-ID")
            ?? "sha256:" + Secrets.hex(SHA256.hash(data: body))
        let event: ShopEvent
        do {
            event =
                platform == .shopify
                ? try ShopifyDelivery.event(topic: topic, body: body, shopDomain: connection.shopDomain)
                : try WooCommerceDelivery.event(topic: topic, body: body)
        } catch let e as MalformedDelivery {
            try await ShopConnections.noteMalformed(id, topic: topic, reason: e.reason, storage: req.care.storage, on: req.db)
            throw CareError(.malformed, code: "malformed_delivery", message: e.reason)
        }
        let outcome = try await ConnectionDeliveries.apply(
            event, connection: connection, deliveryID: deliveryID, topic: topic.isEmpty ? "(no topic)" : topic, storage: req.care.storage,
            on: req.db)
        return try JSONBody.response(DeliveryResult(result: outcome.result, note: outcome.note))
    }

    /// What a shop writes in its signature header for `body` (tests and the benchmark sign with it).
    static func sign(_ body: Data, secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))).base64EncodedString()
    }

    /// Base64 of HMAC-SHA256 over the raw body with the connection's secret, compared in constant time.
    static func signatureMatches(_ header: String, body: Data, secret: String) -> Bool {
        guard header.utf8.count <= 200, let given = Data(base64Encoded: header.trimmingCharacters(in: .whitespaces)) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    /// `webhook_id=123`: what WooCommerce posts when a webhook is saved.
    static func isPing(_ body: Data) -> Bool {
        guard body.count <= 40, let text = String(data: body, encoding: .utf8), text.hasPrefix("webhook_id=") else { return false }
        let digits = text.dropFirst("webhook_id=".count)
        return !digits.isEmpty && digits.count <= 20 && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// A header's value when it is a short single-line text (a topic, a delivery id).
    static func headerText(_ req: Request, _ name: String) -> String? {
        guard let v = req.headers.first(name: name)?.trimmingCharacters(in: .whitespaces), !v.isEmpty, v.utf8.count <= 200,
            v.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F })
        else { return nil }
        return v
    }

    static func noteRefusal(_ req: Request, _ id: UUID, _ reason: String) async {
        guard req.care.refusalNotes.shouldNote(id) else { return }
        do { try await ShopConnections.noteRefusal(id, reason: reason, storage: req.care.storage, on: req.db) } catch {
            req.logger.warning("could not note a refused delivery: \(error)")
        }
    }

    static func tooLarge() -> CareError {
        CareError(.payloadTooLarge, code: "delivery_too_large", message: "a delivery may be at most \(maxBytes / 1024) KiB")
    }
}

struct DeliveryResult: Encodable {
    let result: String
    let note: String?
}

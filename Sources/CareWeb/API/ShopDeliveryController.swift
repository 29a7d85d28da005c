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
        // What the handler needs, taken before the body is awaited: the application may stop meanwhile
        // (a delivery in flight then ends with an error answer, never by reaching for what is gone).
        let (db, storage, budget, notes, address) = (req.db, req.care.storage, req.care.shopDeliveries, req.care.refusalNotes, req.clientAddress)
        guard let key = req.parameters.get("connection"), let connection = try await ShopConnections.forDelivery(urlKey: key, on: db),
            connection.platform == platform, let id = connection.id
        else { throw CareError.notFound("connection") }
        func refuse(_ reason: String) async {
            guard notes.shouldNote(id) else { return }
            do { try await ShopConnections.noteRefusal(id, reason: reason, storage: storage, on: db) } catch {
                req.logger.warning("could not note a refused delivery: \(error)")
            }
        }
        if connection.paused {
            await refuse("paused: delivery refused")
            throw CareError.connectionPaused(message: "this connection is paused in CareLoop")
        }
        // Shopify and WooCommerce say how long their body is: memory for it is set aside before a byte is read.
        guard let declared = req.headers.first(name: .contentLength).flatMap({ Int($0) }), declared >= 0 else {
            throw CareError.lengthRequired(message: "send the delivery with a Content-Length")
        }
        guard declared <= maxBytes else {
            await refuse("a body of \(declared) bytes (the limit is \(maxBytes / 1024) KiB)")
            throw tooLarge()
        }
        // Held until the delivery is answered: the body, its copy and what it is read into stay counted
        // while they wait for the database, so a store's large deliveries cannot pile up in memory.
        guard let ticket = budget.take(store: connection.storeID, address: address, bytes: max(1, declared)) else {
            throw CareError.busy(message: "this store's deliveries are being read; try again shortly", retryAfter: 5)
        }
        defer { budget.release(ticket) }
        let body: Data
        do { body = Data(buffer: try await BodyReader.collect(req, max: declared, seconds: 8)) } catch let e as Abort
            where e.status == .payloadTooLarge
        {
            await refuse("a body longer than it said")
            throw tooLarge()
        }
        // WooCommerce's ping when a webhook is saved is a form post, unsigned: answered, nothing stored.
        if platform == .woocommerce, req.headers.first(name: "X-WC-Webhook-Signature") == nil, isPing(body) {
            return try JSONBody.response(DeliveryResult(result: "ping", note: nil))
        }
        let signatureHeader = platform == .shopify ? "X-Shopify-Hmac-Sha256" : "X-WC-Webhook-Signature"
        guard let signature = req.headers.first(name: signatureHeader) else {
            await refuse("no \(signatureHeader) header")
            throw CareError.missingSignature(message: "the delivery has no \(signatureHeader) header")
        }
        guard signatureMatches(signature, body: body, secret: connection.secret) else {
            await refuse("the signature does not match this connection's secret")
            throw CareError.invalidSignature(message: "the signature does not match this connection's secret")
        }
        let topic = headerText(req, platform == .shopify ? "X-Shopify-Topic" : "X-WC-Webhook-Topic") ?? ""
        // Shopify's webhook id is the same on every retry of a delivery. WooCommerce's delivery id is a
        // hash of the webhook and the second, shared by every delivery in that second: its bodies (each
        // with the resource's change time) are what tell deliveries apart.
        let platformID = platform == .shopify ? headerText(req, "X-Shopify-Webhook-Id") : nil
        let deliveryID = platformID ?? "sha256:" + Secrets.hex(SHA256.hash(data: Data(topic.utf8) + [0] + body))
        let event: ShopEvent
        do {
            event =
                platform == .shopify
                ? try ShopifyDelivery.event(topic: topic, body: body, shopDomain: connection.shopDomain)
                : try WooCommerceDelivery.event(topic: topic, body: body)
        } catch let e as MalformedDelivery {
            try await ShopConnections.noteMalformed(id, topic: topic, reason: e.reason, storage: storage, on: db)
            throw CareError.malformedDelivery(message: e.reason)
        }
        let outcome = try await ConnectionDeliveries.apply(
            event, connection: connection, deliveryID: deliveryID, topic: topic.isEmpty ? "(no topic)" : topic, storage: storage, on: db)
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

    static func tooLarge() -> CareError {
        CareError.deliveryTooLarge(message: "a delivery may be at most \(maxBytes / 1024) KiB")
    }
}

struct DeliveryResult: Encodable {
    let result: String
    let note: String?
}

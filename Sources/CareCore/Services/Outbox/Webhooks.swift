import FluentKit
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// A store's webhook endpoints, and the events queued for them.
///
/// An event is queued in the transaction of whatever caused it: one outbox row per subscribed
/// endpoint, carrying the exact body to post. The worker signs and posts it (see `WebhookDelivery`).
public enum Webhooks {
    /// The events an endpoint can subscribe to.
    public static let events = WebhookEvent.subscribable.map(\.rawValue)

    /// `allowPrivate`: the installation allows loopback and private targets (CARELOOP_ALLOW_PRIVATE_WEBHOOKS).
    public static func create(
        url rawURL: String?, events rawEvents: [String]?, allowPrivate: Bool, storeID: UUID, storage: CareStorage,
        on db: any Database
    ) async throws -> WebhookEndpoint {
        guard let url = try Text.url(rawURL, field: "url") else { throw CareError.missing("url") }
        if !allowPrivate {
            // Checked again on every resolved address at every delivery; here the obvious cases are refused at once.
            let host = URL(string: url)?.host ?? ""
            if let why = OutboundAddress.hostRefusal(host) {
                throw CareError.invalid("url", "must reach a public address: \(host) is \(why)")
            }
        }
        guard let chosen = rawEvents else { throw CareError.missing("events") }
        guard !chosen.isEmpty else { throw CareError.invalid("events", "must list at least one event") }
        for (i, e) in chosen.enumerated() where !events.contains(e) {
            throw CareError.invalid("events[\(i)]", "unknown event '\(e)'; use one of \(events.joined(separator: ", "))")
        }
        let endpoint = WebhookEndpoint()
        endpoint.id = UUID()
        endpoint.storeID = storeID
        endpoint.url = url
        endpoint.eventsJSON = String(decoding: try JSONEncoder().encode(Array(Set(chosen)).sorted()), as: UTF8.self)
        endpoint.secret = WebhookSignature.newSecret()
        endpoint.enabled = true
        endpoint.createdAt = storage.now()
        try await storage.write(on: db) { sql in
            let count =
                try await sql.raw("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE store_id = \(bind: storeID)")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            guard count < 20 else { throw CareError.tooManyWebhooks(message: "a store can have at most 20 webhook endpoints") }
            try await sql.insert(endpoint)
        }
        return endpoint
    }

    public static func list(storeID: UUID, on db: any Database) async throws -> [WebhookEndpoint] {
        try await WebhookEndpoint.query(on: db).filter(\.$storeID == storeID).sort(\.$createdAt).all()
    }

    public static func find(id: UUID, storeID: UUID, on db: any Database) async throws -> WebhookEndpoint {
        guard let e = try await WebhookEndpoint.query(on: db).filter(\.$id == id).filter(\.$storeID == storeID).first()
        else { throw CareError.notFound("webhook") }
        return e
    }

    public static func delete(id: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        _ = try await find(id: id, storeID: storeID, on: db)
        try await storage.write(on: db) { sql in
            try await sql.delete(from: WebhookEndpoint.schema).where("id", .equal, id).where("store_id", .equal, storeID).run()
            WriteEffects.noteRulesChanged(store: storeID)
        }
    }

    /// Queues a `webhook.test` event for one endpoint, so a person can see the delivery in the log.
    public static func sendTest(id: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        let endpoint = try await find(id: id, storeID: storeID, on: db)
        try await storage.write(on: db) { sql in
            let now = storage.now()
            let body = try envelope(.test, data: .object(["message": .string("A test event from CareLoop.")]), now: now)
            try await Outbox.enqueue(
                .webhook(endpointID: endpoint.id!, event: WebhookEvent.test.rawValue, body: body), storeID: storeID, now: now, on: sql)
        }
    }

    /// Queues `event` for every enabled endpoint of the store subscribed to it, in the caller's
    /// transaction. `data` is only built when someone subscribes: most stores have no webhooks, and
    /// every review passes through here.
    static func enqueue(_ event: WebhookEvent, data: @autoclosure () -> JSONNode, storeID: UUID, now: Date, on sql: any SQLDatabase) async throws {
        let cache = WriteEffects.current?.rules
        let endpoints: [StoreRulesCache.Endpoint]
        if let cached = cache?.webhooks(storeID: storeID) {
            endpoints = cached
        } else {
            endpoints = try await sql.raw(
                """
                SELECT id, events FROM webhook_endpoints WHERE store_id = \(bind: storeID) AND enabled = \(bind: true)
                """
            ).all().map { row in
                (
                    try row.decode(column: "id", as: UUID.self),
                    Set((try? JSONDecoder().decode([String].self, from: Data(try row.decode(column: "events", as: String.self).utf8))) ?? [])
                )
            }
            cache?.put(webhooks: endpoints, storeID: storeID)
        }
        var body: String?
        for (endpointID, events) in endpoints where events.contains(event.rawValue) {
            if body == nil { body = try envelope(event, data: data(), now: now) }
            try await Outbox.enqueue(.webhook(endpointID: endpointID, event: event.rawValue, body: body!), storeID: storeID, now: now, on: sql)
        }
    }

    /// `{"type": event, "timestamp": ..., "data": {...}}`, the body every endpoint receives.
    static func envelope(_ event: WebhookEvent, data: JSONNode, now: Date) throws -> String {
        let node = JSONNode.object(["type": .string(event.rawValue), "timestamp": .string(WebhookData.date(now)), "data": data])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(node), as: UTF8.self)
    }
}

/// What webhook events say about reviews, conversations and messages.
enum WebhookData {
    static func date(_ d: Date) -> String { ISODate.format(d) }

    static func string(_ s: String?) -> JSONNode { s.map(JSONNode.string) ?? .null }

    static func customer(_ c: Customer) -> JSONNode {
        .object(["id": .string(c.id?.uuidString ?? ""), "email": .string(c.email), "name": string(c.name)])
    }

    static func review(_ r: Review, product: Product?, customer: Customer?, previousRating: Int? = nil) -> JSONNode {
        var o: [String: JSONNode] = [
            "id": .string(r.id!.uuidString), "rating": .number(Double(r.rating)), "title": string(r.title),
            "body": string(r.body), "status": .string(r.status.rawValue), "verified": .bool(r.verified),
            "created_at": .string(date(r.createdAt)), "updated_at": .string(date(r.updatedAt)),
        ]
        if let product { o["product"] = .object(["external_id": .string(product.externalID), "name": .string(product.name)]) }
        if let customer { o["customer"] = Self.customer(customer) }
        if let previousRating { o["previous_rating"] = .number(Double(previousRating)) }
        return .object(o)
    }

    static func conversation(_ c: Conversation, customer: Customer?) -> JSONNode {
        var o: [String: JSONNode] = [
            "id": .string(c.id!.uuidString), "review_id": string(c.reviewID?.uuidString),
            "subject": .string(c.subject), "status": .string(c.status.rawValue), "priority": .string(c.priority.rawValue),
            "tags": .array(c.tags.map(JSONNode.string)), "created_at": .string(date(c.createdAt)),
            "resolution_note": string(c.resolutionNote),
        ]
        if let customer { o["customer"] = Self.customer(customer) }
        return .object(o)
    }

    static func message(_ m: ConversationMessage) -> JSONNode {
        .object([
            "id": .string(m.id!.uuidString), "conversation_id": .string(m.conversationID.uuidString),
            "author": .string(m.author.rawValue), "body": .string(m.body), "created_at": .string(date(m.createdAt)),
        ])
    }
}

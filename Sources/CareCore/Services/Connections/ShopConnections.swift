import FluentKit
import Foundation
import SQLKit

/// A store's connections to its shop: made, listed, paused and deleted by the owner; what each
/// received, for the connection page.
public enum ShopConnections {
    /// At most this many connections per store (a store has one shop, perhaps a staging one).
    static let perStore = 10

    public static func create(
        platform: String, shopDomain: String, secret: String, storeID: UUID, storage: CareStorage, on db: any Database
    ) async throws -> ShopConnection {
        guard let platform = ShopPlatform(rawValue: platform) else {
            throw CareError.invalid("platform", "must be shopify or woocommerce")
        }
        let domain = try Self.domain(shopDomain)
        let secret = try Self.secret(secret)
        let c = ShopConnection()
        c.id = UUID()
        c.storeID = storeID
        c.platformName = platform.rawValue
        c.shopDomain = domain
        c.secret = secret
        c.paused = false
        c.createdAt = storage.now()
        c.refusedCount = 0
        c.malformedCount = 0
        c.urlKey = Secrets.randomToken(bytes: 32)
        return try await storage.write(on: db) { tx in
            let count =
                try await tx.raw("SELECT COUNT(*) AS n FROM shop_connections WHERE store_id = \(bind: storeID)").first()?
                .decode(column: "n", as: Int.self) ?? 0
            guard count < perStore else {
                throw CareError.tooManyConnections(message: "a store may have at most \(perStore) connections")
            }
            try await tx.insert(c)
            try await AuditLog.record(
                storeID: storeID, actor: "owner", action: "connection.created", subject: c.id?.uuidString, detail: platform.rawValue,
                now: c.createdAt, on: tx)
            return c
        }
    }

    /// `https://My-Shop.myshopify.com/` → `my-shop.myshopify.com`: a host name, nothing more.
    static func domain(_ text: String) throws(CareError) -> String {
        var d = text.trimmingCharacters(in: .whitespaces).lowercased()
        for prefix in ["https://", "http://"] where d.hasPrefix(prefix) { d.removeFirst(prefix.count) }
        while d.hasSuffix("/") { d.removeLast() }
        let labels = d.split(separator: ".", omittingEmptySubsequences: false)
        guard (4...253).contains(d.utf8.count), labels.count >= 2,
            labels.allSatisfy({ l in
                (1...63).contains(l.utf8.count) && l.first != "-" && l.last != "-"
                    && l.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
            })
        else { throw .invalid("shop_domain", "must be the shop's host name, like my-shop.myshopify.com or shop.example.com") }
        return d
    }

    /// The signing secret as the shop shows it: one word of printable ASCII, 8 to 512 characters.
    static func secret(_ text: String) throws(CareError) -> String {
        let s = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (8...512).contains(s.utf8.count), s.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .invalid("secret", "must be the signing secret the shop shows: 8 to 512 characters, no spaces")
        }
        return s
    }

    public static func list(storeID: UUID, on db: any Database) async throws -> [ShopConnection] {
        try await db.sql.all(ShopConnection.self) { $0.where("store_id", .equal, storeID).orderBy("created_at") }
    }

    /// The store's connection, or 404 (another store's id is not found, never forbidden).
    public static func find(_ id: UUID, storeID: UUID, on db: any Database) async throws -> ShopConnection {
        guard let c = try await db.sql.first(ShopConnection.self, { $0.where("id", .equal, id).where("store_id", .equal, storeID) }) else {
            throw CareError.notFound("connection")
        }
        return c
    }

    /// The connection a delivery URL names by its key, whichever store's it is (the signature then says
    /// whether the body is its shop's).
    public static func forDelivery(urlKey: String, on db: any Database) async throws -> ShopConnection? {
        guard (40...50).contains(urlKey.utf8.count),
            urlKey.utf8.allSatisfy({ $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else {
            return nil
        }
        return try await db.sql.first(ShopConnection.self) { $0.where("url_key", .equal, urlKey) }
    }

    public static func setPaused(_ paused: Bool, id: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws -> ShopConnection {
        try await storage.write(on: db) { tx in
            try await tx.raw("UPDATE shop_connections SET paused = \(bind: paused) WHERE id = \(bind: id) AND store_id = \(bind: storeID)").run()
            guard let c = try await tx.first(ShopConnection.self, { $0.where("id", .equal, id).where("store_id", .equal, storeID) }) else {
                throw CareError.notFound("connection")
            }
            try await AuditLog.record(
                storeID: storeID, actor: "owner", action: paused ? "connection.paused" : "connection.resumed", subject: id.uuidString,
                now: storage.now(), on: tx)
            return c
        }
    }

    /// Deletes the connection and what it received; the orders and products it brought stay.
    public static func delete(_ id: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            guard try await tx.first(ShopConnection.self, { $0.where("id", .equal, id).where("store_id", .equal, storeID) }) != nil else {
                throw CareError.notFound("connection")
            }
            try await tx.raw("DELETE FROM connection_deliveries WHERE connection_id = \(bind: id)").run()
            try await tx.raw("DELETE FROM shop_connections WHERE id = \(bind: id)").run()
            try await AuditLog.record(
                storeID: storeID, actor: "owner", action: "connection.deleted", subject: id.uuidString, now: storage.now(), on: tx)
        }
    }

    /// A refused delivery (bad signature, too large, paused), on the connection page: counted in SQL.
    public static func noteRefusal(_ id: UUID, reason: String, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            try await tx.raw(
                """
                UPDATE shop_connections SET refused_count = refused_count + 1, last_refusal_at = \(bind: storage.now()),
                last_refusal_reason = \(bind: reason) WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    /// A signed delivery whose body could not be read (answered 400): counted, and its reason kept.
    public static func noteMalformed(_ id: UUID, topic: String, reason: String, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            try await tx.raw(
                """
                UPDATE shop_connections SET malformed_count = malformed_count + 1, last_refusal_at = \(bind: storage.now()),
                last_refusal_reason = \(bind: "unreadable \(topic): \(reason)") WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    /// How long a delivery's record is kept: long enough to drop the platform's retries (Shopify
    /// retries for 48 hours) and to show a month on the connection page; the table stays bounded.
    public static let deliveriesKept: TimeInterval = 30 * 86_400

    /// Forgets delivery records older than `before`, a batch at a time (the writer is never held long).
    static func forgetDeliveries(before: Date, storage: CareStorage, on db: any Database) async throws {
        while true {
            let ids = try await db.sql.raw(
                "SELECT id FROM connection_deliveries WHERE received_at < \(bind: before) LIMIT 1000"
            ).all().map { try $0.decode(column: "id", as: UUID.self) }
            guard !ids.isEmpty else { return }
            try await storage.write(on: db) { tx in
                try await tx.raw("DELETE FROM connection_deliveries WHERE id IN (\(binds: ids))").run()
            }
            if ids.count < 1000 { return }
        }
    }

    /// What the connection received lately: deliveries per topic in the last 7 days, and the newest few.
    public struct Activity: Sendable {
        public struct Delivery: Sendable {
            public let topic: String
            public let outcome: String
            public let note: String?
            public let receivedAt: Date
        }
        public let perTopic: [(topic: String, count: Int)]
        public let recent: [Delivery]
    }

    public static func activity(_ id: UUID, now: Date, on db: any Database) async throws -> Activity {
        let since = now.addingTimeInterval(-7 * 86_400)
        let perTopic = try await db.sql.raw(
            """
            SELECT topic, COUNT(*) AS n FROM connection_deliveries
            WHERE connection_id = \(bind: id) AND received_at >= \(bind: since) GROUP BY topic ORDER BY topic LIMIT 100
            """
        ).all().map { (topic: try $0.decode(column: "topic", as: String.self), count: try $0.decode(column: "n", as: Int.self)) }
        let recent = try await db.sql.raw(
            """
            SELECT topic, outcome, note, received_at FROM connection_deliveries
            WHERE connection_id = \(bind: id) ORDER BY received_at DESC LIMIT 20
            """
        ).all().map {
            Activity.Delivery(
                topic: try $0.decode(column: "topic", as: String.self), outcome: try $0.decode(column: "outcome", as: String.self),
                note: try $0.decode(column: "note", as: String?.self), receivedAt: try $0.decode(column: "received_at", as: Date.self))
        }
        return Activity(perTopic: perTopic, recent: recent)
    }
}

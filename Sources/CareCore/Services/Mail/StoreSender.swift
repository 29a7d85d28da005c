import FluentKit
import Foundation
import SQLKit

/// A store's own sending address (`care@shop.example` instead of the installation's), with the DKIM
/// key CareLoop made for its domain. Saved first, used only once CareLoop finds the key's record
/// published in the domain's DNS: publishing it is what proves the store controls the domain, so no
/// store can send as another's domain or as the installation's (those are refused outright too).
/// Care mail and review requests then go From it, signed for its domain; staff mail keeps the
/// installation's.
public enum StoreSender {
    public struct Sender: Sendable {
        public let fromAddress: String
        public let signer: DKIMSigner
        public let active: Bool
        /// The key as stored: only the key that was checked is started.
        let pem: String

        public var domain: String { String(fromAddress.split(separator: "@").last ?? "") }
    }

    /// The selector of keys CareLoop makes for stores.
    public static let selector = "careloop1"

    /// The same, read outside a write (the pages).
    public static func load(storeID: UUID, on db: any Database) async throws -> Sender? {
        try await load(storeID: storeID, on: db.sql)
    }

    public static func load(storeID: UUID, on sql: any SQLDatabase) async throws -> Sender? {
        guard
            let row = try await sql.raw("SELECT from_address, dkim_selector, dkim_key, active FROM store_senders WHERE store_id = \(bind: storeID)")
                .first()
        else { return nil }
        let from = try row.decode(column: "from_address", as: String.self)
        let pem = try row.decode(column: "dkim_key", as: String.self)
        // A removed address leaves its row (emptied): see `remove`.
        guard from.contains("@"), let domain = from.split(separator: "@").last,
            let signer = try? DKIMSigner(domain: String(domain), selector: try row.decode(column: "dkim_selector", as: String.self), pem: pem)
        else { return nil }
        return Sender(fromAddress: from, signer: signer, active: try row.decode(column: "active", as: Bool.self), pem: pem)
    }

    /// The store's From address and key, when it sends from its own: else nil (the installation's).
    static func active(storeID: UUID, on sql: any SQLDatabase) async throws -> Sender? {
        guard let s = try await load(storeID: storeID, on: sql), s.active else { return nil }
        return s
    }

    /// Sets the store's own address. A new domain gets a new key (RSA 2048: every receiver verifies
    /// it) and waits for the owner to publish its record; the same domain keeps its key and state.
    /// `reserved`: the installation's own domains (its From address's, the mail domain): no store may
    /// send as them, whatever its DNS says, since the return path's alignment would vouch for it.
    public static func save(
        storeID: UUID, fromAddress raw: String, reserved: [String], storage: CareStorage, on db: any Database
    ) async throws {
        let address = try EmailAddress(raw, field: "from_address").value
        let domain = String(address.split(separator: "@").last ?? "")
        if reserved.contains(where: { aligned($0, domain) }) {
            throw CareError.invalid("from_address", "\(domain) is this installation's own domain: use your shop's domain")
        }
        let taken = try await db.sql.raw(
            "SELECT from_address FROM store_senders WHERE store_id <> \(bind: storeID)"
        ).all().contains { (try? $0.decode(column: "from_address", as: String.self))?.split(separator: "@").last.map(String.init) == domain }
        if taken { throw CareError.domainTaken(message: "another store sends from \(domain)", field: "from_address") }
        let now = storage.now()
        if let existing = try await load(storeID: storeID, on: db.sql), existing.domain == domain {
            try await storage.write(on: db) { tx in
                try await tx.raw("UPDATE store_senders SET from_address = \(bind: address) WHERE store_id = \(bind: storeID)").run()
            }
            return
        }
        // A new domain's key at most once a minute a store: an RSA key takes a fifth of a second to
        // make. Asked first (nothing is made for a save that would be refused), enforced in the write.
        let tooSoon = CareError.busy(message: "a new domain's key was made less than a minute ago; try again shortly", retryAfter: 60)
        let lastKey = now.addingTimeInterval(-60)
        if try await db.sql.raw("SELECT 1 AS x FROM store_senders WHERE store_id = \(bind: storeID) AND created_at > \(bind: lastKey)").first()
            != nil
        {
            throw tooSoon
        }
        // Made on its own thread, before the write: neither the writer nor the shared threads wait for it.
        let pem = try await SlowWork.run { try DKIMSigner.generate(.rsa) }
        _ = try DKIMSigner(domain: domain, selector: selector, pem: pem)
        let saved = try await storage.write(on: db) { tx in
            try await tx.raw(
                """
                INSERT INTO store_senders (store_id, from_address, dkim_selector, dkim_key, active, created_at)
                VALUES (\(bind: storeID), \(bind: address), \(bind: selector), \(bind: pem), \(bind: false), \(bind: now))
                ON CONFLICT (store_id) DO UPDATE SET from_address = excluded.from_address, dkim_selector = excluded.dkim_selector,
                    dkim_key = excluded.dkim_key, active = excluded.active, created_at = excluded.created_at
                WHERE store_senders.created_at <= \(bind: lastKey)
                RETURNING store_id
                """
            ).first() != nil
        }
        guard saved else { throw tooSoon }
    }

    /// Starts sending from the store's address once its record is in DNS (`lookup` asks the domain's
    /// TXT records), or stops. Throws, saying what to publish where, while the record is missing.
    /// Only the address and key that were checked start: a save that changed them meanwhile starts nothing.
    public static func setActive(
        _ active: Bool, storeID: UUID, lookup: (String) async throws -> [String] = { try await DNSText.lookup($0) }, storage: CareStorage,
        on db: any Database
    ) async throws {
        guard active else {
            try await storage.write(on: db) { tx in
                try await tx.raw("UPDATE store_senders SET active = \(bind: false) WHERE store_id = \(bind: storeID)").run()
            }
            return
        }
        guard let sender = try await load(storeID: storeID, on: db.sql) else { throw CareError.notFound("sending address") }
        let published = (try? await lookup(sender.signer.dnsName)) ?? []
        guard published.contains(where: { key(of: $0) == key(of: sender.signer.dnsRecord) }) else {
            throw CareError.recordNotPublished(
                message: "\(sender.signer.dnsName) does not carry this key yet: publish the TXT record shown, then try again")
        }
        let started = try await storage.write(on: db) { tx in
            try await tx.raw(
                """
                UPDATE store_senders SET active = \(bind: true)
                WHERE store_id = \(bind: storeID) AND from_address = \(bind: sender.fromAddress) AND dkim_key = \(bind: sender.pem)
                RETURNING store_id
                """
            ).first() != nil
        }
        guard started else {
            throw CareError.senderChanged(message: "the sending address changed while it was being checked; check it again")
        }
    }

    /// The `p=` of a DKIM record, without the spaces DNS tools put in long values.
    static func key(of record: String) -> String? {
        record.split(separator: ";").map { $0.filter { !$0.isWhitespace } }.first { $0.hasPrefix("p=") }.map { String($0.dropFirst(2)) }
    }

    /// Back to the installation's address. The row stays, emptied, so the time its key was made still
    /// bounds the next one: removing and saving again makes no key sooner.
    public static func remove(storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            try await tx.raw("UPDATE store_senders SET from_address = \(bind: ""), active = \(bind: false) WHERE store_id = \(bind: storeID)").run()
        }
    }

    /// DMARC's relaxed alignment, approximately: the last two labels of both domains agree (a
    /// public-suffix list would be exact; `shop.co.uk` style domains are shown as not aligned when in doubt).
    public static func aligned(_ a: String, _ b: String) -> Bool {
        func organisational(_ d: String) -> String { d.lowercased().split(separator: ".").suffix(2).joined(separator: ".") }
        return !a.isEmpty && organisational(a) == organisational(b)
    }
}

import FluentKit
import Foundation
import SQLKit

/// A store's own sending address (`care@shop.example` instead of the installation's), with the DKIM
/// key CareLoop made for its domain. Saved first, used once the owner says the DNS record is
/// published (mail From a domain that does not vouch for it would fail DMARC). Care mail and
/// review requests then go From it, signed for its domain; staff mail keeps the installation's.
public enum StoreSender {
    public struct Sender: Sendable {
        public let fromAddress: String
        public let signer: DKIMSigner
        public let active: Bool

        public var domain: String { String(fromAddress.split(separator: "@").last ?? "") }
    }

    /// The selector of keys CareLoop makes for stores.
    public static let selector = "careloop1"

    public static func load(storeID: UUID, on sql: any SQLDatabase) async throws -> Sender? {
        guard
            let row = try await sql.raw("SELECT from_address, dkim_selector, dkim_key, active FROM store_senders WHERE store_id = \(bind: storeID)")
                .first()
        else { return nil }
        let from = try row.decode(column: "from_address", as: String.self)
        guard let domain = from.split(separator: "@").last,
            let signer = try? DKIMSigner(
                domain: String(domain), selector: try row.decode(column: "dkim_selector", as: String.self),
                pem: try row.decode(column: "dkim_key", as: String.self))
        else { return nil }
        return Sender(fromAddress: from, signer: signer, active: try row.decode(column: "active", as: Bool.self))
    }

    /// The store's From address and key, when it sends from its own: else nil (the installation's).
    static func active(storeID: UUID, on sql: any SQLDatabase) async throws -> Sender? {
        guard let s = try await load(storeID: storeID, on: sql), s.active else { return nil }
        return s
    }

    /// Sets the store's own address. A new domain gets a new key (RSA 2048: every receiver verifies
    /// it) and waits for the owner to publish its record; the same domain keeps its key and state.
    public static func save(storeID: UUID, fromAddress raw: String, storage: CareStorage, on db: any Database) async throws {
        let address = try EmailAddress(raw, field: "from_address").value
        let domain = String(address.split(separator: "@").last ?? "")
        let existing = try await load(storeID: storeID, on: db.sql)
        let now = storage.now()
        if let existing, existing.domain == domain {
            try await storage.write(on: db) { tx in
                try await tx.raw("UPDATE store_senders SET from_address = \(bind: address) WHERE store_id = \(bind: storeID)").run()
            }
            return
        }
        // Made before the write: generating a key takes a moment, and the writer is never held for it.
        let pem = try DKIMSigner.generate(.rsa)
        _ = try DKIMSigner(domain: domain, selector: selector, pem: pem)
        try await storage.write(on: db) { tx in
            try await tx.raw(
                """
                INSERT INTO store_senders (store_id, from_address, dkim_selector, dkim_key, active, created_at)
                VALUES (\(bind: storeID), \(bind: address), \(bind: selector), \(bind: pem), \(bind: false), \(bind: now))
                ON CONFLICT (store_id) DO UPDATE SET from_address = excluded.from_address, dkim_selector = excluded.dkim_selector,
                    dkim_key = excluded.dkim_key, active = excluded.active, created_at = excluded.created_at
                """
            ).run()
        }
    }

    public static func setActive(_ active: Bool, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            try await tx.raw("UPDATE store_senders SET active = \(bind: active) WHERE store_id = \(bind: storeID)").run()
        }
    }

    public static func remove(storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in try await tx.raw("DELETE FROM store_senders WHERE store_id = \(bind: storeID)").run() }
    }

    /// DMARC's relaxed alignment, approximately: the last two labels of both domains agree (a
    /// public-suffix list would be exact; `shop.co.uk` style domains are shown as not aligned when in doubt).
    public static func aligned(_ a: String, _ b: String) -> Bool {
        func organisational(_ d: String) -> String { d.lowercased().split(separator: ".").suffix(2).joined(separator: ".") }
        return !a.isEmpty && organisational(a) == organisational(b)
    }
}

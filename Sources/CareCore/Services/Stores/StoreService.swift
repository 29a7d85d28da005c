import FluentKit
import Foundation
import SQLKit

/// Creating stores, their owners and API keys, and finding a store from a key.
public enum StoreService {
    public struct CreatedStore: Sendable {
        public let store: Store
        public let owner: StaffUser
        /// Shown once; only its hash is kept.
        public let apiKey: String
    }

    public static func validateSlug(_ slug: String) throws(CareError) {
        let ok =
            (2...63).contains(slug.count)
            && slug.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
            && !slug.hasPrefix("-") && !slug.hasSuffix("-")
        guard ok else { throw .invalid("slug", "use 2 to 63 lower-case letters, digits and hyphens") }
    }

    public static func createStore(
        name: String, slug: String, ownerEmail: String, ownerPassword: String, ownerName: String? = nil,
        hasher: any StaffPasswordHasher, storage: CareStorage, on db: any Database
    ) async throws -> CreatedStore {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw CareError.missing("name") }
        try validateSlug(slug)
        let email = try EmailAddress(ownerEmail, field: "owner_email")
        guard ownerPassword.count >= 8 else { throw CareError.invalid("owner_password", "must be at least 8 characters") }
        let passwordHash = try hasher.hash(ownerPassword)
        let now = storage.now()

        if try await Store.query(on: db).filter(\.$slug == slug).first() != nil {
            throw CareError.slugTaken(message: "slug: a store called '\(slug)' exists", field: "slug")
        }
        if try await StaffUser.query(on: db).filter(\.$email == email.value).first() != nil {
            throw CareError.emailTaken(message: "owner_email: already a staff member of a store", field: "owner_email")
        }

        return try await storage.write(on: db) { tx in
            let store = Store(name: name, slug: slug, createdAt: now)
            try await tx.insert(store)
            let owner = StaffUser(
                storeID: try store.requireID(), email: email.value,
                name: ownerName ?? email.localPart, passwordHash: passwordHash,
                role: .owner, createdAt: now)
            try await tx.insert(owner)
            let key = try await makeAPIKey(storeID: try store.requireID(), name: "default", now: now, on: tx)
            for (position, trigger) in DefaultTriggers.all.enumerated() {
                _ = try await TriggerService.insert(trigger, storeID: try store.requireID(), position: position, now: now, on: tx)
            }
            return CreatedStore(store: store, owner: owner, apiKey: key)
        }
    }

    /// Makes a key, stores its hash, and returns the key itself (the only time it exists in clear).
    public static func makeAPIKey(storeID: UUID, name: String, now: Date, on sql: any SQLDatabase) async throws -> String {
        let key = "clk_" + Secrets.randomToken()
        try await sql.insert(
            APIKey(
                storeID: storeID, name: name, keyHash: Secrets.sha256Hex(key),
                prefix: String(key.prefix(10)), createdAt: now))
        return key
    }

    /// The store a key belongs to, or nil for an unknown or revoked key. One query: it runs on every API call.
    public static func store(forAPIKey key: String, on db: any Database) async throws -> Store? {
        guard key.hasPrefix("clk_"), key.count < 200 else { return nil }
        let found = try await APIKey.query(on: db)
            .join(Store.self, on: \APIKey.$storeID == \Store.$id)
            .filter(\.$keyHash == Secrets.sha256Hex(key))
            .filter(\.$revokedAt == nil)
            .first()
        return try found?.joined(Store.self)
    }

    public static func store(slug: String, on db: any Database) async throws -> Store? {
        // Every public request starts here: read through the table's description, not model reflection.
        // A slug no store can have (a NUL byte, which PostgreSQL refuses outright) is simply not found.
        guard (try? validateSlug(slug)) != nil else { return nil }
        return try await db.sql.rows(Store.table) { $0.where("slug", .equal, slug).limit(1) }.first
    }

    public static func find(id: UUID, on db: any Database) async throws -> Store {
        guard let store = try await Store.find(id, on: db) else { throw CareError.notFound("store") }
        return store
    }

    /// The store's name, and how long a review held by a content rule waits for a person (1 to 30 days).
    public static func updateProfile(
        name rawName: String?, holdDays rawDays: String?, storeID: UUID, storage: CareStorage,
        on db: any Database
    ) async throws {
        let name = try Text.required(rawName, field: "name", max: 120)
        guard let days = rawDays.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), (1...30).contains(days) else {
            throw CareError.invalid("hold_days", "a held review publishes itself after 1 to 30 days")
        }
        try await storage.write(on: db) { sql in
            try await sql.raw("UPDATE stores SET name = \(bind: name), moderation_hold_hours = \(bind: days * 24) WHERE id = \(bind: storeID)").run()
        }
    }

    /// Whether resolving a conversation about a review invites the customer to update it.
    public static func setInviteReviewUpdate(_ on: Bool, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { sql in
            try await sql.raw("UPDATE stores SET invite_review_update = \(bind: on) WHERE id = \(bind: storeID)").run()
        }
    }
}

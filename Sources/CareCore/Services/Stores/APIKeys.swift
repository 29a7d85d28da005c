import FluentKit
import Foundation
import SQLKit

/// A store's API keys: made with a name, shown once, revoked by a person. Only hashes are kept.
public enum APIKeys {
    public static func list(storeID: UUID, on db: any Database) async throws -> [APIKey] {
        try await APIKey.query(on: db).filter(\.$storeID == storeID).sort(\.$createdAt, .descending).all()
    }

    /// Returns the new key: the only time it exists outside the caller's hands.
    public static func create(name: String?, storeID: UUID, storage: CareStorage, on db: any Database) async throws -> String {
        let name = try Text.required(name, field: "name", max: 100)
        return try await storage.write(on: db) { sql in
            try await StoreService.makeAPIKey(storeID: storeID, name: name, now: storage.now(), on: sql)
        }
    }

    /// Revokes a key of this store; returns its hash so caches can drop it.
    public static func revoke(id: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws -> String {
        try await storage.write(on: db) { sql in
            guard let key = try await sql.first(APIKey.self, { $0.where("id", .equal, id).where("store_id", .equal, storeID) })
            else { throw CareError.notFound("API key") }
            if key.revokedAt == nil {
                try await sql.raw("UPDATE api_keys SET revoked_at = \(bind: storage.now()) WHERE id = \(bind: id)").run()
            }
            return key.keyHash
        }
    }
}

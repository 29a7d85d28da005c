import FluentKit
import Foundation
import SQLKit

/// A person's own named inbox views: a status, whose, a search, a tag, a product, overdue, an order,
/// kept as the view's query string (the web layer writes and reads it) under a name of their choosing.
public enum SavedInboxViews {
    public struct Saved: Sendable {
        public let id: UUID
        public let name: String
        public let query: String
    }

    public static let maxPerPerson = 12
    public static let maxName = 40
    public static let maxQuery = 500

    public static func list(storeID: UUID, staffID: UUID, on db: any Database) async throws -> [Saved] {
        try await db.sql.raw(
            """
            SELECT id, name, query FROM inbox_views WHERE staff_id = \(bind: staffID) AND store_id = \(bind: storeID)
            ORDER BY created_at LIMIT \(bind: maxPerPerson)
            """
        ).all().map {
            Saved(
                id: try $0.decode(column: "id", as: UUID.self), name: try $0.decode(column: "name", as: String.self),
                query: try $0.decode(column: "query", as: String.self))
        }
    }

    /// Keeps a view under `name`; a name already used by this person is given the new view.
    public static func save(
        name raw: String?, query: String, storeID: UUID, staffID: UUID, storage: CareStorage, on db: any Database
    ) async throws {
        let name = try Text.required(raw, field: "name", max: maxName)
        guard query.utf8.count <= maxQuery else { throw CareError.invalid("view", "this view is too long to keep") }
        let now = storage.now()
        try await storage.write(on: db) { tx in
            let replaced = try await tx.raw(
                "SELECT id FROM inbox_views WHERE staff_id = \(bind: staffID) AND store_id = \(bind: storeID) AND name = \(bind: name)"
            ).first()
            if let replaced {
                let id = try replaced.decode(column: "id", as: UUID.self)
                try await tx.raw("UPDATE inbox_views SET query = \(bind: query) WHERE id = \(bind: id)").run()
                return
            }
            let held =
                try await tx.raw("SELECT COUNT(*) AS n FROM inbox_views WHERE staff_id = \(bind: staffID) AND store_id = \(bind: storeID)")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            guard held < maxPerPerson else {
                throw CareError.invalid("name", "you keep \(maxPerPerson) views already; remove one first")
            }
            try await tx.raw(
                """
                INSERT INTO inbox_views (id, store_id, staff_id, name, query, created_at)
                VALUES (\(bind: UUID()), \(bind: storeID), \(bind: staffID), \(bind: name), \(bind: query), \(bind: now))
                """
            ).run()
        }
    }

    public static func delete(id: UUID, storeID: UUID, staffID: UUID, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            guard
                try await tx.raw(
                    "SELECT id FROM inbox_views WHERE id = \(bind: id) AND staff_id = \(bind: staffID) AND store_id = \(bind: storeID)"
                ).first() != nil
            else { throw CareError.notFound("view") }
            try await tx.raw("DELETE FROM inbox_views WHERE id = \(bind: id)").run()
        }
    }

    /// Tags in use on the store's latest conversations, for the inbox's tag picker (bounded).
    public static func tagsInUse(storeID: UUID, on db: any Database) async throws -> [String] {
        var tags = Set<String>()
        // Among the store's 500 newest conversations (a walk of conversations_by_store_newest, 500
        // rows, however few have tags; an index on the time of the last change cost every write).
        for row in try await db.sql.raw(
            """
            SELECT tags FROM (SELECT tags FROM conversations WHERE store_id = \(bind: storeID) ORDER BY created_at DESC LIMIT 500) latest
            WHERE tags <> '[]'
            """
        ).all() {
            let json = try row.decode(column: "tags", as: String.self)
            for t in (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? [] where tags.count < 50 { tags.insert(t) }
        }
        return tags.sorted()
    }
}

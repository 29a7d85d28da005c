import FluentKit
import Foundation
import SQLKit

/// The store's products as the dashboard's pickers and filters name them.
public enum ProductPicker {
    /// What a picker shows of a product.
    public struct Choice: Sendable, Equatable {
        public let id: UUID
        public let externalID: String
        public let name: String
    }

    /// The store's products by name (bounded), read as plain values: a picker is on every inbox page.
    public static func byName(storeID: UUID, limit: Int = 300, on db: any Database) async throws -> [Choice] {
        try await db.sql.raw(
            "SELECT id, external_id, name FROM products WHERE store_id = \(bind: storeID) ORDER BY name LIMIT \(bind: max(1, min(limit, 1_000)))"
        ).all().map {
            Choice(
                id: try $0.decode(column: "id", as: UUID.self), externalID: try $0.decode(column: "external_id", as: String.self),
                name: try $0.decode(column: "name", as: String.self))
        }
    }

    /// One of the store's products' name; nil when the id is not one of this store's products.
    public static func name(productID: UUID, storeID: UUID, on db: any Database) async throws -> String? {
        try await db.sql.raw("SELECT name FROM products WHERE id = \(bind: productID) AND store_id = \(bind: storeID)").first()?
            .decode(column: "name", as: String.self)
    }
}

import FluentKit
import Foundation

/// The store's products as the dashboard's pickers and filters name them.
public enum ProductPicker {
    /// The store's products by name (bounded).
    public static func byName(storeID: UUID, limit: Int = 300, on db: any Database) async throws -> [Product] {
        try await Product.query(on: db).filter(\.$storeID == storeID).sort(\.$name).limit(limit).all()
    }

    /// One of the store's products' name; nil when the id is not one of this store's products.
    public static func name(productID: UUID, storeID: UUID, on db: any Database) async throws -> String? {
        try await Product.query(on: db).filter(\.$id == productID).filter(\.$storeID == storeID).first()?.name
    }
}

import FluentKit
import SQLKit

/// Products (with their rating summary rows), customers and orders.
public struct M0002_CreateCatalog: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("products")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("external_id", .string, .required)
            .field("name", .string, .required)
            .field("url", .string)
            .field("image_url", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "store_id", "external_id")
            .create()

        try await db.schema("product_rating_summaries")
            .field("product_id", .uuid, .identifier(auto: false), .references("products", "id", onDelete: .cascade))
            .field("store_id", .uuid, .required)
            .field("stars_1", .int, .required)
            .field("stars_2", .int, .required)
            .field("stars_3", .int, .required)
            .field("stars_4", .int, .required)
            .field("stars_5", .int, .required)
            .create()

        try await db.schema("customers")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("name", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "store_id", "email")
            .create()

        try await db.schema("orders")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("external_id", .string, .required)
            .field("customer_id", .uuid, .required, .references("customers", "id", onDelete: .cascade))
            .field("placed_at", .datetime)
            .field("fulfilled_at", .datetime)
            .field("total_cents", .int64)
            .field("currency", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "store_id", "external_id")
            .create()

        try await db.schema("order_items")
            .id()
            .field("store_id", .uuid, .required)
            .field("order_id", .uuid, .required, .references("orders", "id", onDelete: .cascade))
            .field("product_id", .uuid, .required, .references("products", "id", onDelete: .cascade))
            .field("quantity", .int, .required)
            .field("unit_price_cents", .int64)
            .create()

        let sql = db.sql
        try await sql.create(index: "orders_by_customer").on("orders").column("customer_id").run()
        try await sql.create(index: "order_items_by_order").on("order_items").column("order_id").run()
        try await sql.create(index: "order_items_by_product").on("order_items").column("product_id").run()
    }

    public func revert(on db: any Database) async throws {
        for table in ["order_items", "orders", "customers", "product_rating_summaries", "products"] {
            try await db.schema(table).delete()
        }
    }
}

import FluentKit
import SQLKit

/// Connections to the shop (Shopify, WooCommerce): the connection with its signing secret, each
/// delivery it received (its id makes a repeat a no-op), and what orders and products now carry:
/// where an order came from, its cancellation or refund, the buyer's marketing consent and
/// country, the platform's own change time (an older delivery never undoes a newer one), line item
/// names, and a product's SKU, GTIN, MPN and brand.
public struct M0029_ShopConnections: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("shop_connections")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("platform", .string, .required)
            .field("shop_domain", .string, .required)
            .field("secret", .string, .required)
            .field("paused", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("last_event_at", .datetime)
            .field("last_event_topic", .string)
            .field("refused_count", .int, .required)
            .field("malformed_count", .int, .required)
            .field("last_refusal_at", .datetime)
            .field("last_refusal_reason", .string)
            .field("shop_redact_at", .datetime)
            // The delivery URL's last part: unguessable, so only the shop (whose admin holds the URL) can
            // make CareLoop read a body for this connection.
            .field("url_key", .string, .required)
            .unique(on: "url_key")
            .create()
        try await db.sql.create(index: "shop_connections_by_store").on("shop_connections").column("store_id").run()

        // No reference to the connection: deleting a connection keeps the orders it brought, and its
        // deliveries go with it in the same statement (`ShopConnections.delete`).
        try await db.schema("connection_deliveries")
            .id()
            .field("connection_id", .uuid, .required)
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("delivery_id", .string, .required)
            .field("topic", .string, .required)
            .field("outcome", .string, .required)
            .field("note", .string)
            .field("received_at", .datetime, .required)
            .unique(on: "connection_id", "delivery_id")
            .create()
        try await db.sql.create(index: "connection_deliveries_by_time").on("connection_deliveries").column("connection_id").column("received_at")
            .run()

        // Orders whose customer was erased: a late or replayed delivery of one never brings them back.
        try await db.schema("erased_orders")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("external_id", .string, .required)
            .field("erased_at", .datetime, .required)
            .unique(on: "store_id", "external_id")
            .create()

        // One column a statement: SQLite's ALTER TABLE adds one at a time.
        let orderFields: [(String, DatabaseSchema.DataType)] = [
            ("cancelled_at", .datetime), ("refunded_at", .datetime), ("refunded_cents", .int64), ("marketing_consent", .bool),
            ("country", .string), ("connection_id", .uuid), ("source_updated_at", .datetime),
        ]
        for (name, type) in orderFields {
            try await db.schema("orders").field(.definition(name: .key(.string(name)), dataType: type, constraints: [])).update()
        }
        try await db.schema("orders").field("source", .string, .required, .sql(.default("api"))).update()
        for name in ["name", "variant_id", "sku"] {
            try await db.schema("order_items").field(.definition(name: .key(.string(name)), dataType: .string, constraints: [])).update()
        }
        for name in ["sku", "gtin", "mpn", "brand"] {
            try await db.schema("products").field(.definition(name: .key(.string(name)), dataType: .string, constraints: [])).update()
        }
        // "Ask only buyers who agreed to marketing email": `off`, `everywhere` or `countries` (those listed).
        try await db.schema("request_settings").field("consent_rule", .string, .required, .sql(.default("off"))).update()
        try await db.schema("request_settings").field("consent_countries", .string, .required, .sql(.default(""))).update()
        try await db.sql.create(index: "orders_by_store_time").on("orders").column("store_id").column("created_at").run()
    }

    public func revert(on db: any Database) async throws {
        for name in ["sku", "gtin", "mpn", "brand"] { try await db.schema("products").deleteField(.string(name)).update() }
        for name in ["name", "variant_id", "sku"] { try await db.schema("order_items").deleteField(.string(name)).update() }
        for name in ["cancelled_at", "refunded_at", "refunded_cents", "marketing_consent", "country", "connection_id", "source_updated_at", "source"]
        {
            try await db.schema("orders").deleteField(.string(name)).update()
        }
        try await db.schema("request_settings").deleteField("consent_countries").update()
        try await db.schema("request_settings").deleteField("consent_rule").update()
        try await db.schema("erased_orders").delete()
        try await db.schema("connection_deliveries").delete()
        try await db.schema("shop_connections").delete()
    }
}

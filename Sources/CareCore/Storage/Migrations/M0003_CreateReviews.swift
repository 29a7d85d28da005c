import FluentKit
import SQLKit

/// Reviews, their edit history and the store's public replies.
public struct M0003_CreateReviews: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("reviews")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("product_id", .uuid, .required, .references("products", "id", onDelete: .cascade))
            .field("customer_id", .uuid, .required, .references("customers", "id", onDelete: .cascade))
            .field("order_id", .uuid, .references("orders", "id", onDelete: .setNull))
            .field("rating", .int, .required)
            .field("title", .string)
            .field("body", .string)
            .field("author_name", .string, .required)
            .field("status", .string, .required)
            .field("status_reason", .string)
            .field("held_by_rule", .string)
            .field("publish_after", .datetime)
            .field("moderated_by", .string)
            .field("moderated_at", .datetime)
            .field("verified", .bool, .required)
            .field("source", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()

        try await db.schema("review_edits")
            .id()
            .field("store_id", .uuid, .required)
            .field("review_id", .uuid, .required, .references("reviews", "id", onDelete: .cascade))
            .field("previous_rating", .int, .required)
            .field("previous_title", .string)
            .field("previous_body", .string)
            .field("edited_at", .datetime, .required)
            .create()

        try await db.schema("review_replies")
            .id()
            .field("store_id", .uuid, .required)
            .field("review_id", .uuid, .required, .references("reviews", "id", onDelete: .cascade))
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "review_id")
            .create()

        let sql = db.sql
        // The public list: one product's published reviews, newest first.
        try await sql.create(index: "reviews_public_list").on("reviews")
            .column("product_id").column("status").column("created_at").run()
        // The store's own list and its filters.
        try await sql.create(index: "reviews_by_store").on("reviews").column("store_id").column("created_at").run()
        try await sql.create(index: "reviews_by_customer").on("reviews").column("customer_id").run()
        // The sweep that publishes held reviews at their deadline.
        try await sql.create(index: "reviews_pending_deadline").on("reviews").column("status").column("publish_after").run()
        try await sql.create(index: "review_edits_by_review").on("review_edits").column("review_id").run()
    }

    public func revert(on db: any Database) async throws {
        for table in ["review_replies", "review_edits", "reviews"] {
            try await db.schema(table).delete()
        }
    }
}

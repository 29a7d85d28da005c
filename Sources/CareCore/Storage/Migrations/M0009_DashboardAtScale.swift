import FluentKit
import SQLKit

/// What the dashboard needs to stay fast with 100 000 reviews: indexes its lists can walk in order,
/// each review's original rating (so recovery needs no look into the edit history), and running
/// per-day counts of published reviews (so the weekly chart reads a few rows, never the reviews).
public struct M0009_DashboardAtScale: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("reviews").field("original_rating", .int).update()
        try await db.schema("store_daily_reviews")
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("day", .int, .required)
            .field("published", .int, .required)
            .field("stars", .int, .required)
            .unique(on: "store_id", "day")
            .create()
        let sql = db.sql
        // The earliest rating of every review a customer already edited.
        try await sql.raw(
            """
            UPDATE reviews SET original_rating = (SELECT e.previous_rating FROM review_edits e WHERE e.review_id = reviews.id
                                                  ORDER BY e.edited_at LIMIT 1)
            WHERE id IN (SELECT review_id FROM review_edits)
            """
        ).run()
        // Today's counts from the reviews already published (days since 1970, UTC).
        let day: SQLQueryString =
            sql.dialect.name == "postgresql"
            ? "CAST(FLOOR(EXTRACT(EPOCH FROM created_at) / 86400) AS BIGINT)" : "CAST(created_at / 86400 AS INTEGER)"
        try await sql.raw(
            """
            INSERT INTO store_daily_reviews (store_id, day, published, stars)
            SELECT store_id, \(day), COUNT(*), SUM(rating) FROM reviews WHERE status = 'published' GROUP BY store_id, \(day)
            """
        ).run()
        // These two extend (and so replace) 0003's reviews_by_store and 0004's conversations_inbox:
        // every write maintains each index, so none is kept twice.
        try await sql.drop(index: "reviews_by_store").run()
        try await sql.drop(index: "conversations_inbox").run()
        try await sql.create(index: "reviews_by_store_newest").on("reviews").column("store_id").column("created_at").column("id").run()
        try await sql.create(index: "reviews_by_store_rating").on("reviews").column("store_id").column("rating").column("created_at").run()
        // The inbox: by status (and assignee), SLA first, then the newest of those without one.
        try await sql.create(index: "conversations_inbox_ordered").on("conversations")
            .column("store_id").column("status").column("sla_due_at").column("created_at").run()
        try await sql.create(index: "conversations_by_assignee").on("conversations")
            .column("store_id").column("assignee_id").column("status").column("sla_due_at").column("created_at").run()
        try await sql.create(index: "conversations_by_store_newest").on("conversations").column("store_id").column("created_at").run()
        try await sql.create(index: "customers_by_store_newest").on("customers").column("store_id").column("created_at").run()
    }

    public func revert(on db: any Database) async throws {
        let sql = db.sql
        for index in [
            "conversations_by_store_newest", "customers_by_store_newest", "conversations_by_assignee", "conversations_inbox_ordered",
            "reviews_by_store_rating", "reviews_by_store_newest",
        ] {
            try await sql.drop(index: index).run()
        }
        try await sql.create(index: "reviews_by_store").on("reviews").column("store_id").column("created_at").run()
        try await sql.create(index: "conversations_inbox").on("conversations").column("store_id").column("status").column("sla_due_at").run()
        try await db.schema("store_daily_reviews").delete()
        try await db.schema("reviews").deleteField("original_rating").update()
    }
}

import FluentKit
import SQLKit

/// Review requests (one per fulfilled order, with their reminders), the stores' request settings
/// with the day's sending count, and unsubscribes. A review written through a request's form is
/// one per product per order, enforced by a unique index so two quick submits cannot both land.
public struct M0015_CreateReviewRequests: AsyncMigration {
    public init() {}

    public func prepare(on db: any Database) async throws {
        try await db.schema("review_requests")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("order_id", .uuid, .required, .references("orders", "id", onDelete: .cascade))
            .field("customer_id", .uuid, .required, .references("customers", "id", onDelete: .cascade))
            .field("emails_sent", .int, .required)
            .field("next_send_at", .datetime)
            .field("first_sent_at", .datetime)
            .field("last_sent_at", .datetime)
            .field("form_opened_at", .datetime)
            .field("reviewed_at", .datetime)
            .field("stopped_reason", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "order_id")
            .create()
        try await db.schema("request_settings")
            .field("store_id", .uuid, .identifier(auto: false), .references("stores", "id", onDelete: .cascade))
            .field("delay_days", .int, .required)
            .field("reminder_days", .string, .required)
            .field("daily_cap", .int, .required)
            .field("quiet_start_hour", .int, .required)
            .field("quiet_end_hour", .int, .required)
            .field("time_zone", .string, .required)
            .field("language", .string, .required)
            .field("cap_day", .string)
            .field("cap_used", .int, .required)
            .create()
        try await db.schema("request_unsubscribes")
            .id()
            .field("store_id", .uuid, .required, .references("stores", "id", onDelete: .cascade))
            .field("customer_id", .uuid, .required, .references("customers", "id", onDelete: .cascade))
            .field("via", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "store_id", "customer_id")
            .create()
        let sql = db.sql
        // The sweep reads the due ones in time order; the profile reads a customer's.
        try await sql.create(index: "review_requests_due").on("review_requests").column("next_send_at").run()
        try await sql.create(index: "review_requests_by_customer").on("review_requests").column("store_id").column("customer_id").run()
        // The weekly funnel counts a store's requests by the week they went out.
        try await sql.create(index: "review_requests_by_week").on("review_requests").column("store_id").column("first_sent_at").run()
        try await sql.raw(
            "CREATE UNIQUE INDEX reviews_one_per_request_product ON reviews (order_id, product_id) WHERE source = 'request'"
        ).run()
    }

    public func revert(on db: any Database) async throws {
        try await db.sql.drop(index: "reviews_one_per_request_product").run()
        try await db.schema("request_unsubscribes").delete()
        try await db.schema("request_settings").delete()
        try await db.schema("review_requests").delete()
    }
}

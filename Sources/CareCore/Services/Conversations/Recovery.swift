import FluentKit
import Foundation
import SQLKit

/// Recovery: of the unhappy reviewers the store cared for (a 1★–2★ review that a conversation was
/// opened about), how many later updated their review upward. The "before" is the rating the review
/// was first written with (`original_rating`, kept on its first edit), the "after" is the rating it has now.
public enum Recovery {
    public struct Item: Sendable {
        public let reviewID: UUID
        public let conversationID: UUID?
        public let customerEmail: String
        public let before: Int
        public let after: Int
        public let updatedAt: Date
    }

    public struct Report: Sendable {
        public let caredFor: Int
        public let recovered: Int
        public var rate: Double? { caredFor == 0 ? nil : Double(recovered) / Double(caredFor) }
        /// The recovered reviews, most recently updated first.
        public let items: [Item]
    }

    /// `recent`: only the reviews of the store's latest `recent` conversations (the dashboard's view,
    /// bounded whatever the store's size); nil: all of them (the API's report).
    public static func report(storeID: UUID, limit: Int = 100, recent: Int? = nil, on db: any Database) async throws -> Report {
        let sql = db.sql
        // The reviews a conversation was opened about: fewer than the store's reviews, so start there.
        let latest: SQLQueryString = recent.map { "ORDER BY created_at DESC LIMIT \(bind: $0)" } ?? ""
        let cared: SQLQueryString = """
            (SELECT DISTINCT review_id FROM (SELECT review_id FROM conversations WHERE store_id = \(bind: storeID) AND review_id IS NOT NULL \(latest)) x) cv
            JOIN reviews r ON r.id = cv.review_id
            """
        let counts = try await sql.raw(
            """
            SELECT COUNT(*) AS cared, COALESCE(SUM(CASE WHEN r.rating > COALESCE(r.original_rating, r.rating) THEN 1 ELSE 0 END), 0) AS recovered
            FROM \(cared) WHERE COALESCE(r.original_rating, r.rating) <= 2
            """
        ).first()
        let rows = try await sql.raw(
            """
            SELECT r.id AS review_id, r.rating AS after_rating, r.original_rating AS before_rating, r.updated_at AS updated_at, cu.email AS email,
                (SELECT c.id FROM conversations c WHERE c.review_id = r.id ORDER BY c.created_at LIMIT 1) AS conversation_id
            FROM \(cared) JOIN customers cu ON cu.id = r.customer_id
            WHERE r.original_rating <= 2 AND r.rating > r.original_rating
            ORDER BY r.updated_at DESC LIMIT \(bind: limit)
            """
        ).all()
        let items = try rows.map { row in
            Item(
                reviewID: try row.decode(column: "review_id", as: UUID.self),
                conversationID: try row.decode(column: "conversation_id", as: UUID?.self),
                customerEmail: try row.decode(column: "email", as: String.self),
                before: try row.decode(column: "before_rating", as: Int.self), after: try row.decode(column: "after_rating", as: Int.self),
                updatedAt: try row.decode(column: "updated_at", as: Date.self))
        }
        return Report(
            caredFor: try counts?.decode(column: "cared", as: Int.self) ?? 0,
            recovered: try counts?.decode(column: "recovered", as: Int.self) ?? 0, items: items)
    }
}

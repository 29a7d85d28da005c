import FluentKit
import Foundation
import SQLKit

/// Recovery: of the unhappy reviewers the store cared for (a 1★–2★ review that a conversation was
/// opened about), how many later updated their review upward. The "before" is the rating the review
/// was first written with (its first edit's previous rating), the "after" is the rating it has now.
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

    public static func report(storeID: UUID, limit: Int = 100, on db: any Database) async throws -> Report {
        guard let sql = db as? any SQLDatabase else { fatalError("CareLoop runs on SQL databases only") }
        let cared: SQLQueryString = """
            SELECT r.id AS review_id, r.rating AS after_rating, r.updated_at AS updated_at, cu.email AS email,
                (SELECT c.id FROM conversations c WHERE c.review_id = r.id ORDER BY c.created_at LIMIT 1) AS conversation_id,
                COALESCE((SELECT e.previous_rating FROM review_edits e WHERE e.review_id = r.id ORDER BY e.edited_at LIMIT 1), r.rating)
                    AS before_rating
            FROM reviews r JOIN customers cu ON cu.id = r.customer_id
            WHERE r.store_id = \(bind: storeID)
              AND r.id IN (SELECT c.review_id FROM conversations c WHERE c.store_id = \(bind: storeID) AND c.review_id IS NOT NULL)
            """
        let counts = try await sql.raw("""
            SELECT COUNT(*) AS cared, COALESCE(SUM(CASE WHEN after_rating > before_rating THEN 1 ELSE 0 END), 0) AS recovered
            FROM (\(cared)) t WHERE before_rating <= 2
            """).first()
        let rows = try await sql.raw("""
            SELECT * FROM (\(cared)) t WHERE before_rating <= 2 AND after_rating > before_rating
            ORDER BY updated_at DESC LIMIT \(bind: limit)
            """).all()
        let items = try rows.map { row in
            Item(reviewID: try row.decode(column: "review_id", as: UUID.self),
                 conversationID: try row.decode(column: "conversation_id", as: UUID?.self),
                 customerEmail: try row.decode(column: "email", as: String.self),
                 before: try row.decode(column: "before_rating", as: Int.self), after: try row.decode(column: "after_rating", as: Int.self),
                 updatedAt: try row.decode(column: "updated_at", as: Date.self))
        }
        return Report(caredFor: try counts?.decode(column: "cared", as: Int.self) ?? 0,
                      recovered: try counts?.decode(column: "recovered", as: Int.self) ?? 0, items: items)
    }
}

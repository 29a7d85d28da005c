import FluentKit
import Foundation
import SQLKit

/// A store's reviews as CSV (CareLoop's import layout, so an export imports elsewhere as it is) or
/// JSON Lines, read 1 000 at a time in (created_at, id) order: memory stays flat whatever the size.
/// Each page starts after the last row's stored values, read by the database itself (a date read
/// back into Swift is rounded to microseconds on SQLite, and bound again it could repeat a page).
public enum ReviewExport {
    public enum Format: String, Sendable, CaseIterable { case csv, jsonl }

    public static let csvHeader = [
        "review_id", "product_id", "product_name", "product_url", "rating", "title", "body", "author_name", "email", "order_id",
        "created_at", "verified", "status", "source", "reply",
    ]

    struct Row: Encodable {
        var review_id: String
        var product_id: String
        var product_name: String
        var product_url: String?
        var rating: Int
        var title: String?
        var body: String?
        var author_name: String
        var email: String?
        var order_id: String?
        var created_at: String
        var verified: Bool
        var status: String
        var source: String
        var reply: String?
    }

    /// Writes every review of the store through `write`, a chunk of text at a time; returns the count.
    public static func run(storeID: UUID, format: Format, on db: any Database, write: (String) throws -> Void) async throws -> Int {
        if format == .csv { try write(CSVWriter.line(csvHeader)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var after: UUID?
        var count = 0
        while true {
            let cursor: SQLQueryString =
                after.map { "AND (r.created_at, r.id) > (SELECT x.created_at, x.id FROM reviews x WHERE x.id = \(bind: $0))" } ?? ""
            let rows = try await db.sql.raw(
                """
                SELECT r.id, r.rating, r.title, r.body, r.author_name, r.created_at, r.verified, r.status, r.source,
                  p.external_id AS product_external_id, p.name AS product_name, p.url AS product_url, c.email,
                  o.external_id AS order_external_id, rr.body AS reply
                FROM reviews r
                JOIN products p ON p.id = r.product_id
                JOIN customers c ON c.id = r.customer_id
                LEFT JOIN orders o ON o.id = r.order_id
                LEFT JOIN review_replies rr ON rr.review_id = r.id
                WHERE r.store_id = \(bind: storeID) \(cursor)
                ORDER BY r.created_at, r.id LIMIT 1000
                """
            ).all()
            guard !rows.isEmpty else { return count }
            var chunk = ""
            for sql in rows {
                let id = try sql.decode(column: "id", as: UUID.self)
                let created = try sql.decode(column: "created_at", as: Date.self)
                after = id
                let email = try sql.decode(column: "email", as: String.self)
                let row = Row(
                    review_id: id.uuidString.lowercased(),
                    product_id: try sql.decode(column: "product_external_id", as: String.self),
                    product_name: try sql.decode(column: "product_name", as: String.self),
                    product_url: try sql.decode(column: "product_url", as: String?.self),
                    rating: try sql.decode(column: "rating", as: Int.self),
                    title: try sql.decode(column: "title", as: String?.self),
                    body: try sql.decode(column: "body", as: String?.self),
                    author_name: try sql.decode(column: "author_name", as: String.self),
                    // Erased customers and the public form's unconfirmed reviewer have no address to give.
                    email: email.hasSuffix(".invalid") ? nil : email,
                    order_id: try sql.decode(column: "order_external_id", as: String?.self),
                    created_at: ISODate.format(created),
                    verified: try sql.decode(column: "verified", as: Bool.self),
                    status: try sql.decode(column: "status", as: String.self),
                    source: try sql.decode(column: "source", as: String.self),
                    reply: try sql.decode(column: "reply", as: String?.self))
                switch format {
                case .jsonl:
                    chunk += String(decoding: try encoder.encode(row), as: UTF8.self) + "\n"
                case .csv:
                    let fields: [String?] = [
                        row.review_id, row.product_id, row.product_name, row.product_url, String(row.rating), row.title, row.body,
                        row.author_name, row.email, row.order_id, row.created_at, row.verified ? "true" : "false", row.status, row.source,
                        row.reply,
                    ]
                    chunk += CSVWriter.line(fields.map { CSVWriter.guarded($0 ?? "") })
                }
                count += 1
            }
            try write(chunk)
        }
    }
}

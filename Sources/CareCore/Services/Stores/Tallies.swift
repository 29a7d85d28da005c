import FluentKit
import Foundation
import SQLKit

/// A store's conversations by status and reviews by status and rating, as the database keeps them
/// (`M0031_ListTallies`): what a list's total and the inbox's tabs read instead of counting rows.
public enum Tallies {
    /// Conversations in each status.
    public static func conversations(storeID: UUID, on sql: any SQLDatabase) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try await sql.raw("SELECT status, n FROM conversation_tallies WHERE store_id = \(bind: storeID)").all() {
            let n = try row.decode(column: "n", as: Int.self)
            if n != 0 { out[try row.decode(column: "status", as: String.self)] = n }
        }
        return out
    }

    /// Conversations in one status, or in all.
    public static func conversations(storeID: UUID, status: String?, on sql: any SQLDatabase) async throws -> Int {
        let counts = try await conversations(storeID: storeID, on: sql)
        return status.map { counts[$0] ?? 0 } ?? counts.values.reduce(0, +)
    }

    /// Reviews in each status.
    public static func reviewsByStatus(storeID: UUID, on sql: any SQLDatabase) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try await sql.raw(
            "SELECT status, CAST(SUM(n) AS BIGINT) AS n FROM review_tallies WHERE store_id = \(bind: storeID) GROUP BY status"
        ).all() {
            out[try row.decode(column: "status", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        return out
    }

    /// Reviews in a status and with a rating (each when given).
    public static func reviews(storeID: UUID, status: String?, rating: Int?, on sql: any SQLDatabase) async throws -> Int {
        var q: SQLQueryString = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM review_tallies WHERE store_id = \(bind: storeID)"
        if let status { q = "\(q) AND status = \(bind: status)" }
        if let rating { q = "\(q) AND rating = \(bind: rating)" }
        return try await sql.raw(q).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

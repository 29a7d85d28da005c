import Foundation
import SQLKit

/// A review as the lists read it: its own columns as plain values, decoded straight from the row
/// (no model object: on a page of a big store, building models was a third of the list's time).
public struct ReviewRow: Sendable {
    public let id: UUID
    public let productID: UUID
    public let customerID: UUID
    public let orderID: UUID?
    public let rating: Int
    public let title: String?
    public let body: String?
    public let authorName: String
    public let status: ReviewStatus
    public let statusReason: String?
    public let heldByRule: String?
    public let publishAfter: Date?
    public let moderatedBy: String?
    public let moderatedAt: Date?
    public let verified: Bool
    public let source: ReviewSource
    public let createdAt: Date
    public let updatedAt: Date

    /// The columns `init(row:)` reads, for a `SELECT` from `reviews` (unqualified) or an alias `r`.
    static let columns = [
        "id", "product_id", "customer_id", "order_id", "rating", "title", "body", "author_name", "status", "status_reason",
        "held_by_rule", "publish_after", "moderated_by", "moderated_at", "verified", "source", "created_at", "updated_at",
    ]

    /// The columns as a `SELECT` list for a query that calls `reviews` `r`; made once.
    static let selectListOfR = columns.map { "r.\($0)" }.joined(separator: ", ")
    /// The columns as identifiers, for a query builder; made once.
    static let identifiers: [any SQLExpression] = columns.map { SQLIdentifier($0) }

    init(row: any SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        productID = try row.decode(column: "product_id", as: UUID.self)
        customerID = try row.decode(column: "customer_id", as: UUID.self)
        orderID = try row.decode(column: "order_id", as: UUID?.self)
        rating = try row.decode(column: "rating", as: Int.self)
        title = try row.decode(column: "title", as: String?.self)
        body = try row.decode(column: "body", as: String?.self)
        authorName = try row.decode(column: "author_name", as: String.self)
        // Both are written only from their enums; an unknown value is a damaged row, said so.
        let status = try row.decode(column: "status", as: String.self)
        guard let s = ReviewStatus(rawValue: status) else { throw DamagedRow(what: "review \(id)'s status \(status)") }
        self.status = s
        statusReason = try row.decode(column: "status_reason", as: String?.self)
        heldByRule = try row.decode(column: "held_by_rule", as: String?.self)
        publishAfter = try row.decode(column: "publish_after", as: Date?.self)
        moderatedBy = try row.decode(column: "moderated_by", as: String?.self)
        moderatedAt = try row.decode(column: "moderated_at", as: Date?.self)
        verified = try row.decode(column: "verified", as: Bool.self)
        let source = try row.decode(column: "source", as: String.self)
        guard let so = ReviewSource(rawValue: source) else { throw DamagedRow(what: "review \(id)'s source \(source)") }
        self.source = so
        createdAt = try row.decode(column: "created_at", as: Date.self)
        updatedAt = try row.decode(column: "updated_at", as: Date.self)
    }

    /// A review just written (its model is at hand).
    public init(_ r: Review) throws {
        id = try r.requireID()
        productID = r.productID
        customerID = r.customerID
        orderID = r.orderID
        rating = r.rating
        title = r.title
        body = r.body
        authorName = r.authorName
        status = r.status
        statusReason = r.statusReason
        heldByRule = r.heldByRule
        publishAfter = r.publishAfter
        moderatedBy = r.moderatedBy
        moderatedAt = r.moderatedAt
        verified = r.verified
        source = r.source
        createdAt = r.createdAt
        updatedAt = r.updatedAt
    }
}

/// A stored value no code writes: the row was changed by hand or the file is damaged.
struct DamagedRow: Error, CustomStringConvertible {
    let what: String
    var description: String { "unreadable stored value: \(what)" }
}

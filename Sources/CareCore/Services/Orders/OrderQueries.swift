import FluentKit
import Foundation
import SQLKit

/// Orders as the API reads them back: what CareLoop knows of each, so an integration can check it.
public enum OrderQueries {
    public struct Detail: Sendable {
        public struct Line: Sendable {
            public let productExternalID: String
            public let productName: String
            public let name: String?
            public let variantID: String?
            public let sku: String?
            public let quantity: Int
            public let unitPriceCents: Int?
        }
        public let order: Order
        public let customerEmail: String
        public let customerName: String?
        public let lines: [Line]
        /// The review request's state: nil when none was made; else `scheduled`, `sent`, or why it stopped.
        public let request: String?
    }

    /// The store's orders, newest first, optionally of one customer, and how many there are.
    public static func page(
        storeID: UUID, customerEmail: String?, page: ReviewQueries.Page, on db: any Database
    ) async throws -> (orders: [Detail], total: Int) {
        let sql = db.sql
        var customerFilter: SQLQueryString = ""
        if let customerEmail {
            guard let address = try? EmailAddress(customerEmail, field: "customer_email") else { return ([], 0) }
            customerFilter = "AND customer_id IN (SELECT id FROM customers WHERE store_id = \(bind: storeID) AND email = \(bind: address.value))"
        }
        let ids = try await sql.raw(
            """
            SELECT id FROM orders WHERE store_id = \(bind: storeID) \(customerFilter)
            ORDER BY created_at DESC, id DESC LIMIT \(bind: page.size) OFFSET \(bind: page.offset)
            """
        ).all().map { try $0.decode(column: "id", as: UUID.self) }
        let total =
            try await sql.raw("SELECT COUNT(*) AS n FROM orders WHERE store_id = \(bind: storeID) \(customerFilter)").first()?
            .decode(column: "n", as: Int.self) ?? 0
        var out: [Detail] = []
        for id in ids { if let d = try await detail(storeID: storeID, { $0.where("id", .equal, id) }, on: sql) { out.append(d) } }
        return (out, total)
    }

    public static func find(storeID: UUID, externalID: String, on db: any Database) async throws -> Detail? {
        try await detail(storeID: storeID, { $0.where("external_id", .equal, externalID) }, on: db.sql)
    }

    static func detail(storeID: UUID, _ filter: (SQLSelectBuilder) -> SQLSelectBuilder, on sql: any SQLDatabase) async throws -> Detail? {
        guard let order = try await sql.first(Order.self, { filter($0.where("store_id", .equal, storeID)) }) else { return nil }
        let orderID = try order.requireID()
        let customer = try await sql.raw("SELECT email, name FROM customers WHERE id = \(bind: order.customerID)").first()
        let lines = try await sql.raw(
            """
            SELECT p.external_id, p.name AS product_name, i.name, i.variant_id, i.sku, i.quantity, i.unit_price_cents
            FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.order_id = \(bind: orderID) ORDER BY p.external_id
            """
        ).all().map {
            Detail.Line(
                productExternalID: try $0.decode(column: "external_id", as: String.self),
                productName: try $0.decode(column: "product_name", as: String.self), name: try $0.decode(column: "name", as: String?.self),
                variantID: try $0.decode(column: "variant_id", as: String?.self), sku: try $0.decode(column: "sku", as: String?.self),
                quantity: try $0.decode(column: "quantity", as: Int.self), unitPriceCents: try $0.decode(column: "unit_price_cents", as: Int?.self))
        }
        let request = try await sql.raw(
            "SELECT emails_sent, next_send_at, stopped_reason FROM review_requests WHERE order_id = \(bind: orderID)"
        ).first().map { r -> String in
            if let reason = try r.decode(column: "stopped_reason", as: String?.self) { return "stopped: \(reason)" }
            if try r.decode(column: "next_send_at", as: Date?.self) != nil {
                return try r.decode(column: "emails_sent", as: Int.self) == 0 ? "scheduled" : "sent, reminder scheduled"
            }
            return "sent"
        }
        return Detail(
            order: order, customerEmail: try customer?.decode(column: "email", as: String.self) ?? "",
            customerName: try customer?.decode(column: "name", as: String?.self), lines: lines, request: request)
    }
}

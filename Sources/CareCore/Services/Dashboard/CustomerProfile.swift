import FluentKit
import Foundation
import SQLKit

/// The shop's memory of one customer: every order, review (with its edits), conversation and note,
/// and the figures staff want at a glance. Customers who complain again and again are flagged as
/// outliers, so a senior person gives them more care, not less.
public enum CustomerProfile {
    public struct Figures: Sendable {
        public let firstSeen: Date
        public let orderCount: Int
        public let lifetimeValueCents: Int
        public let reviewCount: Int
        public let averageRatingGiven: Double?
        public let unhappyReviews: Int
        public let conversationCount: Int
        public let openConversations: Int
        /// Two or more 1–2★ reviews, or three or more conversations.
        public var isOutlier: Bool { unhappyReviews >= 2 || conversationCount >= 3 }
    }

    public struct Profile: Sendable {
        public let customer: Customer
        public let figures: Figures
        public let orders: [Order]
        public let reviews: [(review: Review, product: Product?, edits: [ReviewEdit])]
        public let conversations: [Conversation]
        public let notes: [(note: CustomerNote, author: String?)]
    }

    public static func figures(customerID: UUID, storeID: UUID, on db: any Database) async throws -> Figures {
        let sql = db.sql
        guard
            let row = try await sql.raw(
                """
                SELECT cu.created_at,
                  (SELECT COUNT(*) FROM orders o WHERE o.customer_id = cu.id) AS orders,
                  (SELECT \(unsafeRaw: LifetimeValue.sumSQL("o.total_cents")) FROM orders o WHERE o.customer_id = cu.id) AS ltv,
                  (SELECT COUNT(*) FROM reviews r WHERE r.customer_id = cu.id) AS reviews,
                  (SELECT AVG(CAST(r.rating AS DOUBLE PRECISION)) FROM reviews r WHERE r.customer_id = cu.id) AS avg_rating,
                  (SELECT COUNT(*) FROM reviews r WHERE r.customer_id = cu.id AND r.rating <= 2) AS unhappy,
                  (SELECT COUNT(*) FROM conversations c WHERE c.customer_id = cu.id) AS conversations,
                  (SELECT COUNT(*) FROM conversations c WHERE c.customer_id = cu.id AND c.status <> 'resolved') AS open
                FROM customers cu WHERE cu.id = \(bind: customerID) AND cu.store_id = \(bind: storeID)
                """
            ).first()
        else { throw CareError.notFound("customer") }
        return Figures(
            firstSeen: try row.decode(column: "created_at", as: Date.self), orderCount: try row.decode(column: "orders", as: Int.self),
            lifetimeValueCents: LifetimeValue.cents(try row.decode(column: "ltv", as: Double.self)),
            reviewCount: try row.decode(column: "reviews", as: Int.self),
            averageRatingGiven: try row.decode(column: "avg_rating", as: Double?.self),
            unhappyReviews: try row.decode(column: "unhappy", as: Int.self),
            conversationCount: try row.decode(column: "conversations", as: Int.self),
            openConversations: try row.decode(column: "open", as: Int.self))
    }

    public static func load(customerID: UUID, storeID: UUID, on db: any Database) async throws -> Profile {
        guard let customer = try await Customer.query(on: db).filter(\.$id == customerID).filter(\.$storeID == storeID).first()
        else { throw CareError.notFound("customer") }
        let figures = try await figures(customerID: customerID, storeID: storeID, on: db)
        let orders = try await Order.query(on: db).filter(\.$customerID == customerID).sort(\.$createdAt, .descending).limit(200).all()
        let reviews = try await Review.query(on: db).filter(\.$customerID == customerID).sort(\.$createdAt, .descending).limit(200).all()
        let products = try await ReviewQueries.byID(Product.self, ids: Set(reviews.map(\.productID)), on: db)
        let edits = try await ReviewEdit.query(on: db).filter(\.$reviewID ~~ reviews.compactMap(\.id)).sort(\.$editedAt).all()
        let conversations = try await Conversation.query(on: db).filter(\.$customerID == customerID).sort(\.$createdAt, .descending).limit(200).all()
        let notes = try await CustomerNote.query(on: db).filter(\.$customerID == customerID).sort(\.$createdAt, .descending).all()
        let authors = try await ReviewQueries.byID(StaffUser.self, ids: Set(notes.compactMap(\.staffID)), on: db)
        return Profile(
            customer: customer, figures: figures, orders: orders,
            reviews: reviews.map { r in (r, products[r.productID], edits.filter { $0.reviewID == r.id }) },
            conversations: conversations, notes: notes.map { ($0, $0.staffID.flatMap { authors[$0]?.name }) })
    }

    /// Customers whose email or name contains the query (case-insensitive), newest first.
    public static func search(_ query: String, storeID: UUID, limit: Int = 50, on db: any Database) async throws -> [Customer] {
        let sql = db.sql
        let q = query.trimmingCharacters(in: .whitespaces).lowercased()
        let pattern =
            "%"
            + q.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
        let filter: SQLQueryString =
            q.isEmpty ? "" : "AND (LOWER(email) LIKE \(bind: pattern) ESCAPE '\\' OR LOWER(COALESCE(name, '')) LIKE \(bind: pattern) ESCAPE '\\')"
        return try await sql.raw(
            """
            SELECT * FROM customers WHERE store_id = \(bind: storeID) \(filter) ORDER BY created_at DESC LIMIT \(bind: limit)
            """
        ).all(decodingFluent: Customer.self)
    }

    public static func addNote(customerID: UUID, storeID: UUID, staffID: UUID, body: String, storage: CareStorage, on db: any Database) async throws {
        let body = try Text.required(body, field: "note", max: 5000)
        try await storage.write(on: db) { sql in
            guard try await sql.first(Customer.self, { $0.where("id", .equal, customerID).where("store_id", .equal, storeID) }) != nil
            else { throw CareError.notFound("customer") }
            let note = CustomerNote()
            note.storeID = storeID
            note.customerID = customerID
            note.staffID = staffID
            note.body = body
            note.createdAt = storage.now()
            try await sql.insert(note)
        }
    }
}

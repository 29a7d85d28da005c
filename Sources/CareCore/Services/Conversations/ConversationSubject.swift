import Foundation
import SQLKit

extension CareSubject {
    /// Everything a trigger or a template may ask about a conversation: its store, customer, and the
    /// review (with its product) that opened it. The one place that loads it, so a trigger sees the
    /// same facts whichever way the event came in (a reply by email or on the page, a sweep, a preview).
    public static func of(_ c: Conversation, on sql: any SQLDatabase) async throws -> CareSubject? {
        guard let store = try await sql.first(Store.self, { $0.where("id", .equal, c.storeID) }),
            let customer = try await sql.first(Customer.self, { $0.where("id", .equal, c.customerID) })
        else { return nil }
        return try await of(c, store: store, customer: customer, on: sql)
    }

    /// The same, when the store and customer are already at hand.
    public static func of(_ c: Conversation, store: Store, customer: Customer, on sql: any SQLDatabase) async throws -> CareSubject {
        var review: Review?
        if let id = c.reviewID { review = try await sql.first(Review.self, { $0.where("id", .equal, id) }) }
        var product: Product?
        if let id = review?.productID { product = try await sql.first(Product.self, { $0.where("id", .equal, id) }) }
        return CareSubject(store: store, customer: customer, review: review, product: product, conversation: c)
    }
}

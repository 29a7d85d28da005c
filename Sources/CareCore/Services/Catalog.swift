import FluentKit
import Foundation
import SQLKit

/// Finding or creating the products and customers that reviews and orders mention.
/// Call inside a write transaction: creation races are settled by the unique keys and a retry.
public enum Catalog {
    static func product(_ ref: ProductRef, storeID: UUID, now: Date, on sql: any SQLDatabase) async throws -> Product {
        if let found = try await findProduct(externalID: ref.externalID, storeID: storeID, on: sql) {
            // The shop's catalog is the authority on names and links: follow it when it changes.
            if let name = ref.name, name != found.name { found.name = name }
            if let url = ref.url, url != found.url { found.url = url }
            if let image = ref.imageURL, image != found.imageURL { found.imageURL = image }
            try await sql.saveChanges(found)
            return found
        }
        guard let name = ref.name else { throw CareError.notFound("product") }
        let product = Product(storeID: storeID, externalID: ref.externalID, name: name,
                              url: ref.url, imageURL: ref.imageURL, createdAt: now)
        try await sql.insert(product)
        try await RatingSummaryCounter.createRow(for: try product.requireID(), storeID: storeID, on: sql)
        return product
    }

    static func findProduct(externalID: String, storeID: UUID, on sql: any SQLDatabase) async throws -> Product? {
        try await sql.first(Product.self) { $0.where("store_id", .equal, storeID).where("external_id", .equal, externalID) }
    }

    /// The customer with this email, and whether they were created just now (a new customer has no
    /// orders and no earlier reviews, which saves the look-ups).
    static func customer(email: EmailAddress, name: String?, storeID: UUID, now: Date, on sql: any SQLDatabase) async throws -> (customer: Customer, isNew: Bool) {
        if let found = try await sql.first(Customer.self, { $0.where("store_id", .equal, storeID).where("email", .equal, email.value) }) {
            if found.name == nil, let name {
                found.name = name
                try await sql.saveChanges(found)
            }
            return (found, false)
        }
        let customer = Customer(storeID: storeID, email: email.value, name: name, createdAt: now)
        try await sql.insert(customer)
        return (customer, true)
    }
}

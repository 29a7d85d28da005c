import FluentKit
import Foundation

/// Finding or creating the products and customers that reviews and orders mention.
/// Call inside a write transaction: creation races are settled by the unique keys and a retry.
public enum Catalog {
    public static func product(_ ref: ProductRef, storeID: UUID, now: Date, on db: any Database) async throws -> Product {
        if let found = try await Product.query(on: db)
            .filter(\.$storeID == storeID).filter(\.$externalID == ref.externalID).first() {
            // The shop's catalog is the authority on names and links: follow it when it changes.
            var changed = false
            if let name = ref.name, name != found.name { found.name = name; changed = true }
            if let url = ref.url, url != found.url { found.url = url; changed = true }
            if let image = ref.imageURL, image != found.imageURL { found.imageURL = image; changed = true }
            if changed { try await found.update(on: db) }
            return found
        }
        guard let name = ref.name else { throw CareError.notFound("product") }
        let product = Product(storeID: storeID, externalID: ref.externalID, name: name,
                              url: ref.url, imageURL: ref.imageURL, createdAt: now)
        try await product.create(on: db)
        try await RatingSummaryCounter.createRow(for: try product.requireID(), storeID: storeID, on: db)
        return product
    }

    /// The customer with this email, and whether they were created just now (a new customer has no
    /// orders and no earlier reviews, which saves the look-ups).
    public static func customer(email: EmailAddress, name: String?, storeID: UUID, now: Date, on db: any Database) async throws -> (customer: Customer, isNew: Bool) {
        if let found = try await Customer.query(on: db)
            .filter(\.$storeID == storeID).filter(\.$email == email.value).first() {
            if found.name == nil, let name {
                found.name = name
                try await found.update(on: db)
            }
            return (found, false)
        }
        let customer = Customer(storeID: storeID, email: email.value, name: name, createdAt: now)
        try await customer.create(on: db)
        return (customer, true)
    }
}

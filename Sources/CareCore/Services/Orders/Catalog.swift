import FluentKit
import Foundation
import SQLKit

/// Finding or creating the products and customers that reviews and orders mention.
/// Call inside a write transaction: creation races are settled by the unique keys and a retry.
public enum Catalog {
    /// The store's product, made when new. A product CareLoop knows may be named by its id alone;
    /// a new one needs a name (`nameField` says where it was missing in the caller's request).
    static func product(
        _ ref: ProductRef, storeID: UUID, now: Date, nameField: String = "product.name", on sql: any SQLDatabase
    ) async throws -> Product {
        if let found = try await storedProduct(storeID: storeID, externalID: ref.externalID, on: sql) {
            // The shop's catalog is the authority on names and links: follow it when it changes.
            var changed = false
            if let name = ref.name, name != found.name {
                found.name = name
                changed = true
            }
            if let url = ref.url, url != found.url {
                found.url = url
                changed = true
            }
            if let image = ref.imageURL, image != found.imageURL {
                found.imageURL = image
                changed = true
            }
            for (value, keyPath) in [(ref.sku, \Product.sku), (ref.gtin, \Product.gtin), (ref.mpn, \Product.mpn), (ref.brand, \Product.brand)] {
                if let value, value != found[keyPath: keyPath] {
                    found[keyPath: keyPath] = value
                    changed = true
                }
            }
            if changed { try await Catalog.updateDetails(found, on: sql) }
            return found
        }
        guard let name = ref.name else { throw CareError.invalid(nameField, "is required for a product new to this store") }
        let product = Product(
            id: UUID(), storeID: storeID, externalID: ref.externalID, name: name,
            url: ref.url, imageURL: ref.imageURL, createdAt: now)
        (product.sku, product.gtin, product.mpn, product.brand) = (ref.sku, ref.gtin, ref.mpn, ref.brand)
        try await Catalog.insert(product, on: sql)
        try await RatingSummaryCounter.createRow(for: try product.requireID(), storeID: storeID, on: sql)
        return product
    }

    /// The customer with this email, and whether they were created just now (a new customer has no
    /// orders and no earlier reviews, which saves the look-ups).
    static func customer(email: EmailAddress, name: String?, storeID: UUID, now: Date, on sql: any SQLDatabase) async throws -> (
        customer: Customer, isNew: Bool
    ) {
        // Most reviewers are new: try the insert first (one statement), look up only when they exist.
        let customer = Customer(storeID: storeID, email: email.value, name: name, createdAt: now)
        customer.id = UUID()
        if try await Catalog.insertIfNew(customer, on: sql) {
            return (customer, true)
        }
        guard let found = try await Catalog.storedCustomer(storeID: storeID, email: email.value, on: sql) else {
            throw CareError.customerRace(message: "the customer changed while being saved; try again")
        }
        if found.name == nil, let name {
            found.name = name
            try await Catalog.setName(found, on: sql)
        }
        return (found, false)
    }
}

import CareCore
import Foundation

/// Request bodies of the review API, in the wire's snake_case.
struct ProductPayload: Decodable {
    let externalId: String
    let name: String?
    let url: String?
    let imageUrl: String?

    enum CodingKeys: String, CodingKey {
        case externalId = "external_id", name, url, imageUrl = "image_url"
    }

    var ref: ProductRef { ProductRef(externalID: externalId, name: name, url: url, imageURL: imageUrl) }
}

struct CustomerPayload: Decodable {
    let email: String
    let name: String?

    var ref: CustomerRef { CustomerRef(email: email, name: name) }
}

struct CreateReviewPayload: Decodable {
    let product: ProductPayload
    let customer: CustomerPayload
    let rating: WholeNumber
    let title: String?
    let body: String?
    let authorName: String?
    let orderExternalId: String?

    enum CodingKeys: String, CodingKey {
        case product, customer, rating, title, body, authorName = "author_name", orderExternalId = "order_external_id"
    }
}

struct PublicReviewPayload: Decodable {
    let rating: WholeNumber
    let title: String?
    let body: String?
    let authorName: String
    let authorEmail: String

    enum CodingKeys: String, CodingKey {
        case rating, title, body, authorName = "author_name", authorEmail = "author_email"
    }
}

struct ReplyPayload: Decodable {
    let body: String
}

struct RejectPayload: Decodable {
    let reason: String
}

struct CreateOrderPayload: Decodable {
    struct Item: Decodable {
        let product: ProductPayload
        let quantity: WholeNumber
        let unitPrice: WholeNumber?
        enum CodingKeys: String, CodingKey { case product, quantity, unitPrice = "unit_price" }
    }

    let externalId: String
    let customer: CustomerPayload
    let items: [Item]
    let placedAt: Date?
    let fulfilledAt: Date?
    let total: WholeNumber?
    let currency: String?
    let locale: String?

    enum CodingKeys: String, CodingKey {
        case externalId = "external_id", customer, items, placedAt = "placed_at", fulfilledAt = "fulfilled_at", total, currency, locale
    }
}

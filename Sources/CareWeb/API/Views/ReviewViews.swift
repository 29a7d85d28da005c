import CareCore
import Foundation

/// Response bodies. Optional fields are written as `null` rather than left out, so clients see the
/// whole shape every time.
struct ReplyView: Encodable {
    let body: String
    /// Dates as the API writes them, formatted here: a String encodes without a nested encoder.
    let createdAt: String
    let updatedAt: String

    enum CodingKeys: String, CodingKey { case body, createdAt = "created_at", updatedAt = "updated_at" }

    init(_ r: ReviewQueries.Listed.Reply) {
        body = r.body
        createdAt = JSONBody.formatDate(r.createdAt)
        updatedAt = JSONBody.formatDate(r.updatedAt)
    }
}

/// A review as the public sees it: no email, no moderation details.
struct PublicReviewView: Encodable {
    let id: UUID
    let rating: Int
    let title: String?
    let body: String?
    let authorName: String
    let verified: Bool
    let createdAt: Date
    let reply: ReplyView?

    init(_ l: ReviewQueries.Listed) {
        id = l.review.id
        rating = l.review.rating
        title = l.review.title
        body = l.review.body
        authorName = l.review.authorName
        verified = l.review.verified
        createdAt = l.review.createdAt
        reply = l.reply.map(ReplyView.init)
    }

    enum CodingKeys: String, CodingKey {
        case id, rating, title, body, authorName = "author_name", verified, createdAt = "created_at", reply
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeID(id, forKey: .id)
        try c.encode(rating, forKey: .rating)
        try c.encode(title, forKey: .title)
        try c.encode(body, forKey: .body)
        try c.encode(authorName, forKey: .authorName)
        try c.encode(verified, forKey: .verified)
        try c.encodeDate(createdAt, forKey: .createdAt)
        try c.encode(reply, forKey: .reply)
    }
}

/// A review as its store sees it: everything, including why it is held or rejected.
struct StoreReviewView: Encodable {
    let listed: ReviewQueries.Listed
    /// The customer's earlier versions, oldest first (only on the single-review view).
    var history: [ReviewEdit]? = nil

    enum CodingKeys: String, CodingKey {
        case id, product, customer, rating, title, body, authorName = "author_name", status, statusReason = "status_reason"
        case heldByRule = "held_by_rule", publishAfter = "publish_after", moderatedBy = "moderated_by"
        case moderatedAt = "moderated_at", verified, orderId = "order_id", source, createdAt = "created_at"
        case updatedAt = "updated_at", reply, history
    }

    struct EditView: Encodable {
        let edit: ReviewEdit
        enum CodingKeys: String, CodingKey {
            case previousRating = "previous_rating", previousTitle = "previous_title", previousBody = "previous_body", editedAt = "edited_at"
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(edit.previousRating, forKey: .previousRating)
            try c.encode(edit.previousTitle, forKey: .previousTitle)
            try c.encode(edit.previousBody, forKey: .previousBody)
            try c.encodeDate(edit.editedAt, forKey: .editedAt)
        }
    }

    struct ProductBrief: Encodable {
        let externalId: String
        let name: String
        enum CodingKeys: String, CodingKey { case externalId = "external_id", name }
    }

    struct CustomerBrief: Encodable {
        let id: UUID
        let email: String
        let name: String?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeID(id, forKey: .id)
            try c.encode(email, forKey: .email)
            try c.encode(name, forKey: .name)
        }
        enum CodingKeys: String, CodingKey { case id, email, name }
    }

    func encode(to encoder: any Encoder) throws {
        let r = listed.review
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeID(r.id, forKey: .id)
        try c.encode(listed.product.map { ProductBrief(externalId: $0.externalID, name: $0.name) }, forKey: .product)
        try c.encode(listed.customer.map { CustomerBrief(id: $0.id, email: $0.email, name: $0.name) }, forKey: .customer)
        try c.encode(r.rating, forKey: .rating)
        try c.encode(r.title, forKey: .title)
        try c.encode(r.body, forKey: .body)
        try c.encode(r.authorName, forKey: .authorName)
        try c.encode(r.status.rawValue, forKey: .status)
        try c.encode(r.statusReason, forKey: .statusReason)
        try c.encode(r.heldByRule, forKey: .heldByRule)
        try c.encodeDate(r.publishAfter, forKey: .publishAfter)
        try c.encode(r.moderatedBy, forKey: .moderatedBy)
        try c.encodeDate(r.moderatedAt, forKey: .moderatedAt)
        try c.encode(r.verified, forKey: .verified)
        try c.encodeID(r.orderID, forKey: .orderId)
        try c.encode(r.source.rawValue, forKey: .source)
        try c.encodeDate(r.createdAt, forKey: .createdAt)
        try c.encodeDate(r.updatedAt, forKey: .updatedAt)
        try c.encode(listed.reply.map(ReplyView.init), forKey: .reply)
        if let history { try c.encode(history.map(EditView.init), forKey: .history) }
    }
}

struct SummaryView: Encodable {
    let count: Int
    let average: Double
    let distribution: [String: Int]

    init(_ s: RatingSummary) {
        count = s.count
        average = s.average
        distribution = s.distribution
    }
}

struct PublicListView: Encodable {
    let summary: SummaryView
    let reviews: [PublicReviewView]
    let page: Int
    let perPage: Int

    enum CodingKeys: String, CodingKey { case summary, reviews, page, perPage = "per_page" }
}

struct OrderView: Encodable {
    struct Item: Encodable {
        let productExternalId: String
        let quantity: Int
        let unitPrice: Int?
        enum CodingKeys: String, CodingKey { case productExternalId = "product_external_id", quantity, unitPrice = "unit_price" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(productExternalId, forKey: .productExternalId)
            try c.encode(quantity, forKey: .quantity)
            try c.encode(unitPrice, forKey: .unitPrice)
        }
    }

    let stored: OrderIngest.Stored

    enum CodingKeys: String, CodingKey {
        case id, externalId = "external_id", customer, items, placedAt = "placed_at", fulfilledAt = "fulfilled_at"
        case total, currency, locale, createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        let o = stored.order
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeID(o.id, forKey: .id)
        try c.encode(o.externalID, forKey: .externalId)
        try c.encode(
            StoreReviewView.CustomerBrief(id: stored.customer.id!, email: stored.customer.email, name: stored.customer.name), forKey: .customer)
        try c.encode(
            stored.items.map { Item(productExternalId: $0.product.externalID, quantity: $0.item.quantity, unitPrice: $0.item.unitPriceCents) },
            forKey: .items)
        try c.encodeDate(o.placedAt, forKey: .placedAt)
        try c.encodeDate(o.fulfilledAt, forKey: .fulfilledAt)
        try c.encode(o.totalCents, forKey: .total)
        try c.encode(o.currency, forKey: .currency)
        try c.encode(o.locale, forKey: .locale)
        try c.encodeDate(o.createdAt, forKey: .createdAt)
    }
}

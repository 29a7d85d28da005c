import FluentKit
import Foundation
import SQLKit

/// An order as the shop reports it. Re-sending the same `external_id` updates it (fulfilment often
/// arrives later than the order), so shops can post idempotently.
public struct OrderSubmission: Sendable {
    public struct Item: Sendable {
        public var product: ProductRef
        public var quantity: Int
        public var unitPriceCents: Int?
        /// The line as the shop names it, the variant's id and SKU (from a shop connection or import).
        public var name: String?
        public var variantID: String?
        public var sku: String?
        public init(product: ProductRef, quantity: Int, unitPriceCents: Int? = nil) {
            self.product = product
            self.quantity = quantity
            self.unitPriceCents = unitPriceCents
        }
    }

    public var externalID: String
    public var customer: CustomerRef
    public var items: [Item]
    public var placedAt: Date?
    public var fulfilledAt: Date?
    public var totalCents: Int?
    public var currency: String?
    /// The buyer's language tag (BCP 47, `_` accepted): requests about the order speak it when they can.
    public var locale: String?
    /// What a shop connection or a platform's export also says (nil: nothing said, nothing changed).
    public var cancelledAt: Date?
    public var refundedAt: Date?
    public var refundedCents: Int?
    public var marketingConsent: Bool?
    public var country: String?
    /// `api`, `import`, `shopify`, `woocommerce`; and the connection that brought it.
    public var source = "api"
    public var connectionID: UUID?
    /// The platform's time of this state of the order: a state older than the one kept changes nothing.
    public var sourceUpdatedAt: Date?
    /// From a platform's export file (no change time of its own): it fills in an order CareLoop does
    /// not have, and never overwrites one a connection keeps up to date.
    public var fromExport = false
    /// The shop's whole state of the order (a connection's delivery): what it does not say is not so
    /// (not cancelled, not refunded), and it may move the order to a corrected buyer address.
    public var fullState = false

    public init(
        externalID: String, customer: CustomerRef, items: [Item], placedAt: Date? = nil,
        fulfilledAt: Date? = nil, totalCents: Int? = nil, currency: String? = nil, locale: String? = nil
    ) {
        self.locale = locale
        self.externalID = externalID
        self.customer = customer
        self.items = items
        self.placedAt = placedAt
        self.fulfilledAt = fulfilledAt
        self.totalCents = totalCents
        self.currency = currency
    }
}

extension OrderSubmission {
    /// `de`, `de-AT`, `en_GB`, `zh-Hant-TW`: a 2–3 letter language, then up to four subtags of 1–8
    /// letters or digits, joined by `-` or `_`; at most 35 characters. Checked by hand: no regex.
    public static func isLanguageTag(_ s: String) -> Bool {
        guard s.utf8.count <= 35 else { return false }
        let parts = s.split(separator: "-", omittingEmptySubsequences: false).flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }
        guard let language = parts.first, (2...3).contains(language.count), language.allSatisfy({ $0.isASCII && $0.isLetter }),
            parts.count <= 5
        else { return false }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    /// Bounds on what a shop may send: money in minor units up to 10¹² (ten billion in a two-decimal
    /// currency), quantities up to a million. Within them, a sum over 500 items cannot overflow.
    public static let maxMoney = 1_000_000_000_000
    public static let maxQuantity = 1_000_000

    /// The order's total from its items when every item has a price; nil when one has none, or when
    /// the sum would not be a sensible amount (over `maxMoney`): then the order simply has no total.
    static func itemsTotal(_ items: [Item]) -> Int? {
        var total = 0
        for item in items {
            guard let price = item.unitPriceCents else { return nil }
            let (line, o1) = price.multipliedReportingOverflow(by: item.quantity)
            let (sum, o2) = total.addingReportingOverflow(line)
            guard !o1, !o2, sum <= maxMoney else { return nil }
            total = sum
        }
        return total
    }
}

extension Order {
    /// Why this order's buyer is not asked for a review: `cancelled` or `refunded` (in full).
    public var requestStopReason: String? {
        if cancelledAt != nil { return "cancelled" }
        if refundedAt != nil { return "refunded" }
        return nil
    }
}

public enum OrderIngest {
    public struct Stored: Sendable {
        public let order: Order
        public let customer: Customer
        public let items: [(item: OrderItem, product: Product)]
        public let created: Bool
        /// An older state of the order than the one kept: nothing was changed.
        public var stale = false
    }

    /// What `check` found valid: the order's id, its customer and its products, trimmed.
    struct Checked {
        var externalID: String
        var email: EmailAddress
        var customerName: String?
        var products: [ProductRef]
    }

    /// Every check `submit` makes before it writes (an import's dry run makes only these).
    @discardableResult
    static func check(_ s: OrderSubmission) throws -> Checked {
        let externalID = try Text.required(s.externalID, field: "external_id", max: ReviewSubmission.limits.externalID)
        let email = try EmailAddress(s.customer.email, field: "customer.email")
        let customerName = try Text.optional(s.customer.name, field: "customer.name", max: ReviewSubmission.limits.authorName)
        guard !s.items.isEmpty else { throw CareError.invalid("items", "must list at least one item") }
        guard s.items.count <= 500 else { throw CareError.invalid("items", "must list at most 500 items") }
        var products: [ProductRef] = []
        for (i, item) in s.items.enumerated() {
            let field = "items[\(i)]"
            guard (1...OrderSubmission.maxQuantity).contains(item.quantity) else {
                throw CareError.invalid("\(field).quantity", "must be from 1 to \(OrderSubmission.maxQuantity)")
            }
            if let p = item.unitPriceCents, !(0...OrderSubmission.maxMoney).contains(p) {
                throw CareError.invalid("\(field).unit_price", "must be from 0 to \(OrderSubmission.maxMoney) (minor units)")
            }
            let checked = try ReviewSubmission(product: item.product, customer: s.customer, rating: 5, source: .api)
                .validated(productField: "\(field).product")
            products.append(checked.product)
        }
        if let t = s.totalCents, !(0...OrderSubmission.maxMoney).contains(t) {
            throw CareError.invalid("total", "must be from 0 to \(OrderSubmission.maxMoney) (minor units)")
        }
        if let c = s.currency, !(c.count == 3 && c.allSatisfy { $0.isASCII && $0.isLetter }) {
            throw CareError.invalid("currency", "must be a three-letter ISO 4217 code")
        }
        if let p = s.placedAt, let f = s.fulfilledAt, f < p {
            throw CareError.invalid("fulfilled_at", "is before placed_at")
        }
        if let l = s.locale, !OrderSubmission.isLanguageTag(l) {
            throw CareError.invalid("locale", "must be a language tag like de, de-AT or en_GB")
        }
        if let c = s.country, !(c.count == 2 && c.allSatisfy { $0.isASCII && $0.isLetter }) {
            throw CareError.invalid("country", "must be a two-letter ISO 3166 code")
        }
        if let r = s.refundedCents, !(0...OrderSubmission.maxMoney).contains(r) {
            throw CareError.invalid("refunded", "must be from 0 to \(OrderSubmission.maxMoney) (minor units)")
        }
        for (i, item) in s.items.enumerated() {
            _ = try Text.optional(item.name, field: "items[\(i)].name", max: 1_000)
            _ = try Text.optional(item.variantID, field: "items[\(i)].variant_id", max: 100)
            _ = try Text.optional(item.sku, field: "items[\(i)].sku", max: 255)
        }
        return Checked(externalID: externalID, email: email, customerName: customerName, products: products)
    }

    public static func submit(_ s: OrderSubmission, storeID: UUID, storage: CareStorage, on db: any Database) async throws -> Stored {
        let checked = try check(s)
        return try await storage.write(on: db) { tx in try await store(s, checked: checked, storeID: storeID, now: storage.now(), on: tx) }
    }

    /// In the write `tx`: the order `check` passed, created or brought up to date, with its request.
    static func store(_ s: OrderSubmission, checked: Checked, storeID: UUID, now: Date, on tx: any SQLDatabase) async throws -> Stored {
        let (externalID, email, customerName, checkedProducts) = (checked.externalID, checked.email, checked.customerName, checked.products)
        // An order whose customer was erased is not brought back by a late or replayed delivery.
        if try await tx.raw("SELECT 1 AS x FROM erased_orders WHERE store_id = \(bind: storeID) AND external_id = \(bind: externalID)").first() != nil
        {
            throw CareError.orderErased(
                message: "external_id: this order's customer was erased; the order is not kept again",
                field: "external_id")
        }
        // Locked for the write (PostgreSQL): two deliveries of one order apply one after the other.
        let found = try await tx.first(Order.self, { $0.where("store_id", .equal, storeID).where("external_id", .equal, externalID).for(.update) })
        // Deliveries arrive out of order: a state older than the one kept is not applied (nor is its buyer made).
        if let existing = found, let kept = existing.sourceUpdatedAt,
            s.fromExport || (s.sourceUpdatedAt.map { $0.platformSecond < kept.platformSecond } ?? false)
        {
            guard let owner = try await tx.rows(Customer.table, { $0.where("id", .equal, existing.customerID) }).first else {
                throw CareError.notFound("customer")
            }
            var stale = Stored(order: existing, customer: owner, items: [], created: false)
            stale.stale = true
            return stale
        }
        let customer = try await Catalog.customer(email: email, name: customerName, storeID: storeID, now: now, on: tx).customer
        let customerID = try customer.requireID()
        let order: Order
        var created = false
        // The shop's whole state decides only about its own order (another connection's, or the API's,
        // with the same id is not its to change) and only when strictly newer: platforms write their
        // change times to the second, and a state of the same second may be the older one.
        let authoritative =
            s.fullState && (found.map { $0.connectionID == nil || $0.connectionID == s.connectionID } ?? true)
            && (found?.sourceUpdatedAt.map { kept in s.sourceUpdatedAt.map { $0.platformSecond > kept.platformSecond } ?? false } ?? true)
        if let existing = found {
            if existing.customerID != customerID {
                // Through the API an order never changes hands: a re-send naming another customer is a
                // mistake. A shop's own state is the authority: it corrected the order's address, and
                // the order (with a request not sent yet) follows it.
                guard authoritative else {
                    throw CareError.orderCustomerMismatch(message: "external_id: this order belongs to another customer", field: "external_id")
                }
                let orderID = try existing.requireID()
                let previous = existing.customerID
                existing.customerID = customerID
                try await tx.raw(
                    """
                    UPDATE review_requests SET customer_id = \(bind: customerID)
                    WHERE order_id = \(bind: orderID) AND emails_sent = 0
                    """
                ).run()
                // A request already mailed went to the wrong address: no reminder follows it there.
                try await tx.raw(
                    """
                    UPDATE review_requests SET next_send_at = NULL, stopped_reason = 'customer_changed'
                    WHERE order_id = \(bind: orderID) AND emails_sent > 0 AND next_send_at IS NOT NULL
                    """
                ).run()
                // Reviews the wrong address wrote about this order no longer stand as its buyer's.
                try await tx.raw(
                    """
                    UPDATE reviews SET order_id = NULL, verified = \(bind: false)
                    WHERE order_id = \(bind: orderID) AND customer_id = \(bind: previous)
                    """
                ).run()
            }
            order = existing
            order.placedAt = s.placedAt ?? order.placedAt
            order.fulfilledAt = s.fulfilledAt ?? order.fulfilledAt
            order.totalCents = s.totalCents ?? order.totalCents
            order.currency = s.currency?.uppercased() ?? order.currency
            order.locale = s.locale ?? order.locale
            if authoritative {
                // The shop's whole state: an order restored after a cancellation is no longer cancelled.
                order.cancelledAt = s.cancelledAt
                order.refundedAt = s.refundedAt
                order.marketingConsent = s.marketingConsent
            } else {
                order.cancelledAt = order.cancelledAt ?? s.cancelledAt
                order.refundedAt = order.refundedAt ?? s.refundedAt
                order.marketingConsent = s.marketingConsent ?? order.marketingConsent
            }
            order.refundedCents =
                authoritative ? (s.refundedCents ?? order.refundedCents) : max(s.refundedCents ?? 0, order.refundedCents ?? 0).nonZero
            order.country = s.country?.uppercased() ?? order.country
            order.sourceUpdatedAt = max(s.sourceUpdatedAt ?? .distantPast, order.sourceUpdatedAt ?? .distantPast).known
            order.connectionID = order.connectionID ?? s.connectionID
            try await tx.saveChanges(order)
            try await tx.delete(from: OrderItem.schema).where("order_id", .equal, order.requireID()).run()
        } else {
            order = Order(
                storeID: storeID, externalID: externalID, customerID: customerID,
                placedAt: s.placedAt, fulfilledAt: s.fulfilledAt,
                totalCents: s.totalCents, currency: s.currency?.uppercased(), createdAt: now)
            order.locale = s.locale
            order.cancelledAt = s.cancelledAt
            order.refundedAt = s.refundedAt
            order.refundedCents = s.refundedCents
            order.marketingConsent = s.marketingConsent
            order.country = s.country?.uppercased()
            order.source = s.source
            order.connectionID = s.connectionID
            order.sourceUpdatedAt = s.sourceUpdatedAt
            try await tx.insert(order)
            created = true
        }
        var stored: [(item: OrderItem, product: Product)] = []
        for (i, (ref, item)) in zip(checkedProducts, s.items).enumerated() {
            let product = try await Catalog.product(ref, storeID: storeID, now: now, nameField: "items[\(i)].product.name", on: tx)
            let row = OrderItem(
                storeID: storeID, orderID: try order.requireID(), productID: try product.requireID(),
                quantity: item.quantity, unitPriceCents: item.unitPriceCents)
            (row.name, row.variantID, row.sku) = (item.name, item.variantID, item.sku)
            try await tx.insert(row)
            stored.append((item: row, product: product))
        }
        if order.totalCents == nil, let total = OrderSubmission.itemsTotal(s.items) {
            order.totalCents = total
            try await tx.saveChanges(order)
        }
        // Fulfilled: the buyer is asked for reviews, whoever they are (written with the order);
        // cancelled or refunded: not, and a request already planned stops.
        if let reason = order.requestStopReason {
            try await ReviewRequests.stop(orderID: try order.requireID(), reason: reason, on: tx)
        } else {
            try await ReviewRequests.schedule(order: order, customer: customer, now: now, on: tx)
        }
        return Stored(order: order, customer: customer, items: stored, created: created)
    }
}

extension Int {
    /// Nil for zero: "nothing refunded" is no amount.
    fileprivate var nonZero: Int? { self == 0 ? nil : self }
}

extension Date {
    /// Nil for `distantPast`: no time was known.
    fileprivate var known: Date? { self == .distantPast ? nil : self }

    /// The whole second: platforms write their change times to the second, and a time read back from
    /// the database may differ from the one parsed in its last binary digits, so states are compared
    /// by second.
    var platformSecond: Int64 { Int64((timeIntervalSince1970).rounded(.down)) }
}

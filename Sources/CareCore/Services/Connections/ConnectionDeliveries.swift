import FluentKit
import Foundation
import SQLKit

/// A signed delivery applied: recorded by its id in the same write as its effect, so the platform's
/// retries and repeats change nothing, and the connection page counts what came.
public enum ConnectionDeliveries {
    /// What became of a delivery: `applied`, `duplicate`, `stale` (older than what CareLoop has) or `ignored`.
    public struct Outcome: Sendable {
        public let result: String
        public let note: String?
    }

    public static func apply(
        _ event: ShopEvent, connection: ShopConnection, deliveryID: String, topic: String, storage: CareStorage, on db: any Database
    ) async throws -> Outcome {
        // Checked before the write: an order CareLoop cannot keep (an address that is no address) is
        // answered 200 and noted, so the platform does not retry it for days.
        var event = event
        var checked: OrderIngest.Checked?
        var extraNote: String?
        if case .order(var s) = event {
            s.source = connection.platform.rawValue
            s.connectionID = connection.id
            // A name longer than CareLoop keeps is left off (and said), rather than the whole order.
            if let name = s.customer.name,
                (try? Text.optional(name, field: "customer.name", max: ReviewSubmission.limits.authorName)) == nil
            {
                s.customer.name = nil
                extraNote =
                    name.count > ReviewSubmission.limits.authorName
                    ? "the buyer's name (over \(ReviewSubmission.limits.authorName) characters) was not kept"
                    : "the buyer's name was not kept (unreadable)"
            }
            do {
                checked = try OrderIngest.check(s)
                event = .order(s)
            } catch let e as CareError {
                event = .ignored("order not kept: \(e.message)")
            }
        }
        if case .product(let ref) = event {
            do {
                let valid = try ReviewSubmission(product: ref, customer: CustomerRef(email: "shop@example.com"), rating: 5, source: .api)
                    .validated()
                event = .product(valid.product)
            } catch { event = .ignored("product not kept: \(error.message)") }
        }
        let ready = event
        let readyChecked = checked
        let note = extraNote
        do {
            return try await storage.write(on: db) { tx in
                try await record(
                    ready, checked: readyChecked, connection: connection, deliveryID: deliveryID, topic: topic, extraNote: note,
                    now: storage.now(), on: tx)
            }
        } catch let e as CareError where [.conflict, .notFound, .invalid].contains(e.kind) && e.code != "customer_race" {
            // The order could not be applied as sent (it names another buyer than before): noted, not retried.
            return try await storage.write(on: db) { tx in
                try await record(
                    .ignored("not applied: \(e.message)"), checked: nil, connection: connection, deliveryID: deliveryID, topic: topic,
                    now: storage.now(), on: tx)
            }
        }
    }

    static func record(
        _ event: ShopEvent, checked: OrderIngest.Checked?, connection: ShopConnection, deliveryID: String, topic: String,
        extraNote: String? = nil, now: Date, on tx: any SQLDatabase
    ) async throws -> Outcome {
        let connectionID = try connection.requireID()
        let storeID = connection.storeID
        let fresh = try await tx.raw(
            """
            INSERT INTO connection_deliveries (id, connection_id, store_id, delivery_id, topic, outcome, received_at)
            VALUES (\(bind: UUID()), \(bind: connectionID), \(bind: storeID), \(bind: deliveryID), \(bind: topic), 'applied', \(bind: now))
            ON CONFLICT (connection_id, delivery_id) DO NOTHING RETURNING id
            """
        ).first()
        guard let fresh else { return Outcome(result: "duplicate", note: nil) }
        let effected = try await effect(event, checked: checked, storeID: storeID, connection: connection, topic: topic, now: now, on: tx)
        let notes = [effected.note, extraNote].compactMap { $0 }
        let outcome = Outcome(result: effected.result, note: notes.isEmpty ? nil : notes.joined(separator: "; "))
        try await tx.raw(
            "UPDATE connection_deliveries SET outcome = \(bind: outcome.result), note = \(bind: outcome.note) WHERE id = \(bind: try fresh.decode(column: "id", as: UUID.self))"
        ).run()
        try await tx.raw(
            "UPDATE shop_connections SET last_event_at = \(bind: now), last_event_topic = \(bind: topic) WHERE id = \(bind: connectionID)"
        ).run()
        return outcome
    }

    static func effect(
        _ event: ShopEvent, checked: OrderIngest.Checked?, storeID: UUID, connection: ShopConnection, topic: String, now: Date,
        on tx: any SQLDatabase
    ) async throws -> Outcome {
        switch event {
        case .order(let s):
            guard let checked else { return Outcome(result: "ignored", note: "order not checked") }
            let stored = try await OrderIngest.store(s, checked: checked, storeID: storeID, now: now, on: tx)
            return stored.stale
                ? Outcome(result: "stale", note: "order \(s.externalID): an older state than the one kept")
                : Outcome(result: "applied", note: "order \(s.externalID)")
        case .fulfilment(let orderID, let at):
            guard
                let order = try await tx.first(
                    Order.self, { $0.where("store_id", .equal, storeID).where("external_id", .equal, orderID).for(.update) })
            else {
                return Outcome(result: "ignored", note: "order \(orderID) not known yet; its next update brings the fulfilment")
            }
            if order.fulfilledAt == nil {
                order.fulfilledAt = max(at, order.placedAt ?? at)
                try await tx.saveChanges(order)
                if order.requestStopReason == nil,
                    let customer = try await tx.rows(Customer.table, { $0.where("id", .equal, order.customerID) }).first
                {
                    try await ReviewRequests.schedule(order: order, customer: customer, now: now, on: tx)
                }
            }
            return Outcome(result: "applied", note: "order \(orderID) fulfilled")
        case .refund(let orderID, let amount, let at):
            guard
                let order = try await tx.first(
                    Order.self, { $0.where("store_id", .equal, storeID).where("external_id", .equal, orderID).for(.update) })
            else {
                return Outcome(result: "ignored", note: "order \(orderID) not known yet; its next update brings the refund")
            }
            // The order's own state, if as new as the refund, already counts it (Shopify sends an order's
            // update beside its refund, in either order): adding it again would count it twice.
            if let kept = order.sourceUpdatedAt, kept.platformSecond >= at.platformSecond {
                return Outcome(result: "stale", note: "order \(orderID): the refund is in the order's state already")
            }
            if let amount {
                let (sum, overflow) = (order.refundedCents ?? 0).addingReportingOverflow(amount)
                order.refundedCents = overflow ? OrderSubmission.maxMoney : min(sum, OrderSubmission.maxMoney)
            }
            // Refunded in full: the buyer is not asked to review what they sent back.
            if order.refundedAt == nil, let total = order.totalCents, total > 0, let refunded = order.refundedCents, refunded >= total {
                order.refundedAt = at
            }
            // The refund is now part of the state kept: the same refund again (another subscription, a
            // replay) and order states older than it change nothing.
            order.sourceUpdatedAt = at
            try await tx.saveChanges(order)
            if let reason = order.requestStopReason { try await ReviewRequests.stop(orderID: try order.requireID(), reason: reason, on: tx) }
            return Outcome(result: "applied", note: order.refundedAt == nil ? "order \(orderID) partly refunded" : "order \(orderID) refunded")
        case .product(let ref):
            _ = try await Catalog.product(ref, storeID: storeID, now: now, on: tx)
            return Outcome(result: "applied", note: "product \(ref.externalID)")
        case .dataRequest(let email):
            guard let customer = try await customer(email, storeID: storeID, on: tx) else {
                return Outcome(result: "applied", note: "data request: CareLoop holds nothing for this customer")
            }
            let id = try customer.requireID()
            try await AuditLog.record(
                storeID: storeID, actor: connection.platform.rawValue, action: "customer.data_requested", subject: id.uuidString, now: now, on: tx)
            return Outcome(result: "applied", note: "data request: export customer \(id.uuidString.lowercased()) from their profile")
        case .redactCustomer(let email, let orders):
            // The orders Shopify names are kept from coming back too, whoever CareLoop has them under.
            for id in orders {
                try await tx.raw(
                    """
                    INSERT INTO erased_orders (store_id, external_id, erased_at) VALUES (\(bind: storeID), \(bind: id), \(bind: now))
                    ON CONFLICT (store_id, external_id) DO NOTHING
                    """
                ).run()
            }
            // The orders named may be held under an earlier address of the customer's: that customer goes too.
            var erased = 0
            for id in orders {
                guard
                    let owner = try await tx.raw(
                        """
                        SELECT c.id FROM orders o JOIN customers c ON c.id = o.customer_id
                        WHERE o.store_id = \(bind: storeID) AND o.external_id = \(bind: id) AND c.erased_at IS NULL
                        """
                    ).first()?.decode(column: "id", as: UUID.self)
                else { continue }
                _ = try await CustomerPrivacy.erase(customerID: owner, storeID: storeID, now: now, on: tx)
                try await AuditLog.record(
                    storeID: storeID, actor: connection.platform.rawValue, action: "customer.erased", subject: owner.uuidString, now: now, on: tx)
                erased += 1
            }
            guard let customer = try await customer(email, storeID: storeID, on: tx), customer.erasedAt == nil else {
                return Outcome(
                    result: "applied",
                    note: erased > 0 ? "\(erased) customer(s) holding the orders named erased" : "erasure: CareLoop holds nothing for this customer")
            }
            let id = try customer.requireID()
            _ = try await CustomerPrivacy.erase(customerID: id, storeID: storeID, now: now, on: tx)
            try await AuditLog.record(
                storeID: storeID, actor: connection.platform.rawValue, action: "customer.erased", subject: id.uuidString, now: now, on: tx)
            return Outcome(result: "applied", note: "customer \(id.uuidString.lowercased()) erased")
        case .redactShop:
            // Erasing a whole store's customers is the owner's decision (delete the store): the
            // connection stops and the page says what the shop asked.
            try await tx.raw(
                "UPDATE shop_connections SET paused = \(bind: true), shop_redact_at = \(bind: now) WHERE id = \(bind: try connection.requireID())"
            ).run()
            return Outcome(result: "applied", note: "the shop asked for its data to be erased: connection paused")
        case .ignored(let why):
            return Outcome(result: "ignored", note: why)
        }
    }

    static func customer(_ email: String, storeID: UUID, on tx: any SQLDatabase) async throws -> Customer? {
        guard let address = try? EmailAddress(email, field: "customer.email") else { return nil }
        return try await tx.rows(Customer.table) { $0.where("store_id", .equal, storeID).where("email", .equal, address.value) }.first
    }
}

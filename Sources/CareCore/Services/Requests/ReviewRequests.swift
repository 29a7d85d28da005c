import FluentKit
import Foundation
import SQLKit

/// Asking every buyer for reviews. A fulfilled order gets one request (scheduled in the order's own
/// write), whatever the customer's history: no gating, so a customer with an open complaint is asked
/// like anyone else. The sweep sends each email when it is due, in the store's sending hours and
/// under its daily cap, as an outbox job written in the same transaction as the request's step:
/// a crash or an SMTP outage loses none and sends none twice.
public enum ReviewRequests {
    /// The products of an order already reviewed (whatever became of the review).
    public static func reviewedProducts(orderID: UUID, on db: any Database) async throws -> Set<UUID> {
        let rows = try await db.sql.raw("SELECT product_id FROM reviews WHERE order_id = \(bind: orderID)").all()
        return Set(try rows.map { try $0.decode(column: "product_id", as: UUID.self) })
    }

    /// An order fulfilled longer ago than this gets no request: importing last year's orders must
    /// not mail every one of their buyers.
    static let tooOld: TimeInterval = 60 * 86_400

    /// In the order's transaction: schedules the order's request, once. A re-sent order with a
    /// corrected fulfilment date moves a request not sent yet; one already sent is left alone; one
    /// stopped because the order was cancelled or refunded starts again when the shop restores it.
    static func schedule(order: Order, customer: Customer, now: Date, on sql: any SQLDatabase) async throws {
        // Not for a fulfilment more than a day ahead (a typo or a time zone): nothing is scheduled for
        // it; the order re-sent with the real date schedules the request then.
        guard let fulfilled = order.fulfilledAt, customer.erasedAt == nil, fulfilled > now.addingTimeInterval(-tooOld),
            fulfilled <= now.addingTimeInterval(86_400)
        else { return }
        let settings = try await RequestSettings.load(storeID: order.storeID, on: sql)
        let due = fulfilled.addingTimeInterval(Double(settings.delayDays) * 86_400)
        try await sql.raw(
            """
            INSERT INTO review_requests (id, store_id, order_id, customer_id, emails_sent, next_send_at, created_at)
            VALUES (\(bind: UUID()), \(bind: order.storeID), \(bind: try order.requireID()), \(bind: try customer.requireID()), 0,
            \(bind: max(due, now)), \(bind: now))
            ON CONFLICT (order_id) DO UPDATE SET next_send_at = excluded.next_send_at, stopped_reason = NULL
            WHERE review_requests.emails_sent = 0
              AND (review_requests.stopped_reason IS NULL OR review_requests.stopped_reason IN ('cancelled', 'refunded'))
            """
        ).run()
    }

    /// In the order's transaction: the order was cancelled or refunded, so its request sends nothing more.
    static func stop(orderID: UUID, reason: String, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE review_requests SET next_send_at = NULL, stopped_reason = \(bind: reason)
            WHERE order_id = \(bind: orderID) AND next_send_at IS NOT NULL
            """
        ).run()
    }

    /// Queues the emails that are due. Returns how many it queued. Each request is its own short
    /// write (the writer is never held for a batch); pages of `batch` are read until none is due or
    /// `budget` seconds have gone, and the next sweep goes on from there. Every step moves its
    /// request's `next_send_at` on or clears it, so no page is read twice.
    @discardableResult
    public static func sweep(storage: CareStorage, on db: any Database, batch: Int = 200, budget: TimeInterval = 20) async throws -> Int {
        let now = storage.now()
        let started = Date()
        var queued = 0
        while Date().timeIntervalSince(started) < budget {
            let due = try await db.sql.raw(
                "SELECT id FROM review_requests WHERE next_send_at <= \(bind: now) ORDER BY next_send_at LIMIT \(bind: batch)"
            ).all().map { try $0.decode(column: "id", as: UUID.self) }
            for id in due {
                let sent = try await storage.write(on: db) { tx in try await step(id, now: now, on: tx) }
                if sent { queued += 1 }
            }
            if due.count < batch { break }
        }
        return queued
    }

    /// One request's next step: stop it, put it off (quiet hours, cap), or queue its email.
    static func step(_ id: UUID, now: Date, on tx: any SQLDatabase) async throws -> Bool {
        // Another node may have taken this step since the sweep read the list.
        guard let r = try await tx.rows(ReviewRequest.table, forUpdate: true, { $0.where("id", .equal, id) }).first,
            let due = r.nextSendAt, due <= now
        else { return false }
        let settings = try await RequestSettings.load(storeID: r.storeID, on: tx)
        if let reason = try await stopReason(r, settings: settings, on: tx) {
            r.nextSendAt = nil
            r.stoppedReason = reason
            try await tx.update(r, in: ReviewRequest.table, only: [\ReviewRequest.$nextSendAt, \ReviewRequest.$stoppedReason])
            return false
        }
        // Too late to ask: held back so long (a cap far below the store's orders) that the buyer would
        // get a request weeks after delivery, or links about to stop working.
        let lastUseful = min(
            r.emailsSent == 0 ? r.createdAt.addingTimeInterval(tooOld + Double(settings.delayDays) * 86_400) : .distantFuture,
            r.createdAt.addingTimeInterval(CareLinks.requestLinkLifetime - 30 * 86_400))
        if now > lastUseful {
            r.nextSendAt = nil
            r.stoppedReason = "too_late"
            try await tx.update(r, in: ReviewRequest.table, only: [\ReviewRequest.$nextSendAt, \ReviewRequest.$stoppedReason])
            return false
        }
        // Quiet hours or the day's cap used up: every due request of the store is put off at once, in
        // one statement, so a store's backlog is not rewritten row by row ahead of other stores'.
        let allowed = RequestSchedule.nextAllowed(now, settings)
        if allowed > now {
            try await putOff(storeID: r.storeID, until: allowed, now: now, on: tx)
            return false
        }
        guard try await RequestSettings.takeDailySlot(storeID: r.storeID, settings: settings, now: now, on: tx) else {
            try await putOff(storeID: r.storeID, until: RequestSchedule.nextDayStart(now, settings), now: now, on: tx)
            return false
        }
        let step = r.emailsSent
        let email = try await tx.raw("SELECT email FROM customers WHERE id = \(bind: r.customerID)").first()?.decode(column: "email", as: String.self)
        if let email,
            try await Outbox.enqueueAutomatic(.reviewRequest(requestID: id, step: step), to: email, storeID: r.storeID, now: now, on: tx) != nil
        {
            // This hour's automatic mails to the address are used up (or it bounced since the check above): an hour later.
            r.nextSendAt = now.addingTimeInterval(3600)
            try await tx.update(r, in: ReviewRequest.table, only: [\ReviewRequest.$nextSendAt])
            return false
        }
        let first = r.firstSentAt ?? now
        r.emailsSent = step + 1
        r.firstSentAt = first
        r.lastSentAt = now
        // Reminder n comes `reminderDays[n]` days after the request itself.
        r.nextSendAt = step < settings.reminderDays.count ? first.addingTimeInterval(Double(settings.reminderDays[step]) * 86_400) : nil
        try await tx.update(
            r, in: ReviewRequest.table,
            only: [\ReviewRequest.$emailsSent, \ReviewRequest.$firstSentAt, \ReviewRequest.$lastSentAt, \ReviewRequest.$nextSendAt])
        return true
    }

    static func putOff(storeID: UUID, until: Date, now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            "UPDATE review_requests SET next_send_at = \(bind: until) WHERE store_id = \(bind: storeID) AND next_send_at <= \(bind: now)"
        ).run()
    }

    /// Why the request must send nothing more, if it must not. The request itself goes to everyone
    /// who has not unsubscribed; reminders also stop once the customer reviewed, or is talking to a
    /// person about this order (they get the person, not a form letter).
    static func stopReason(_ r: ReviewRequest, settings: RequestSettings, on sql: any SQLDatabase) async throws -> String? {
        if try await isUnsubscribed(storeID: r.storeID, customerID: r.customerID, on: sql) { return "unsubscribed" }
        if let order = try await sql.raw(
            "SELECT cancelled_at, refunded_at, marketing_consent, country FROM orders WHERE id = \(bind: r.orderID)"
        ).first() {
            if try order.decode(column: "cancelled_at", as: Date?.self) != nil { return "cancelled" }
            if try order.decode(column: "refunded_at", as: Date?.self) != nil { return "refunded" }
            let consent = try order.decode(column: "marketing_consent", as: Bool?.self)
            if !settings.consentAllows(consent: consent, country: try order.decode(column: "country", as: String?.self)) { return "no_consent" }
        }
        let customer = try await sql.raw("SELECT email, erased_at FROM customers WHERE id = \(bind: r.customerID)").first()
        if try customer?.decode(column: "erased_at", as: Date?.self) != nil || customer == nil { return "erased" }
        if let email = try customer?.decode(column: "email", as: String.self),
            try await MailBounces.isSuppressed(storeID: r.storeID, email: email, on: sql)
        {
            return "bounced"
        }
        guard r.emailsSent > 0 else { return nil }
        let inCare = try await sql.raw(
            """
            SELECT 1 AS x FROM conversations c JOIN reviews v ON v.id = c.review_id
            WHERE v.order_id = \(bind: r.orderID) AND c.status <> \(bind: ConversationStatus.resolved.rawValue) LIMIT 1
            """
        ).first()
        if inCare != nil { return "in_care" }
        if r.reviewedAt != nil { return "reviewed" }
        let reviewed = try await sql.raw("SELECT 1 AS x FROM reviews WHERE order_id = \(bind: r.orderID) LIMIT 1").first()
        return reviewed != nil ? "reviewed" : nil
    }

    public static func isUnsubscribed(storeID: UUID, customerID: UUID, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw(
            "SELECT 1 AS x FROM request_unsubscribes WHERE store_id = \(bind: storeID) AND customer_id = \(bind: customerID)"
        ).first() != nil
    }

    /// Honours an unsubscribe at once: the customer's requests stop, and no reminder is sent.
    public static func unsubscribe(requestID: UUID, via: String, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            guard let r = try await tx.rows(ReviewRequest.table, forUpdate: true, { $0.where("id", .equal, requestID) }).first else {
                throw CareError.notFound("request")
            }
            try await tx.raw(
                """
                INSERT INTO request_unsubscribes (id, store_id, customer_id, via, created_at)
                VALUES (\(bind: UUID()), \(bind: r.storeID), \(bind: r.customerID), \(bind: via), \(bind: storage.now()))
                ON CONFLICT (store_id, customer_id) DO NOTHING
                """
            ).run()
            try await tx.raw(
                """
                UPDATE review_requests SET next_send_at = NULL, stopped_reason = \(bind: "unsubscribed")
                WHERE store_id = \(bind: r.storeID) AND customer_id = \(bind: r.customerID) AND next_send_at IS NOT NULL
                """
            ).run()
        }
    }

    /// The first time the customer opened the request's form (for the request funnel).
    public static func noteFormOpened(_ r: ReviewRequest, storage: CareStorage, on db: any Database) async throws {
        guard r.formOpenedAt == nil else { return }
        try await storage.write(on: db) { tx in
            try await tx.raw(
                "UPDATE review_requests SET form_opened_at = \(bind: storage.now()) WHERE id = \(bind: try r.requireID()) AND form_opened_at IS NULL"
            ).run()
        }
    }

    /// A review came in through the form: no reminder follows.
    public static func noteReviewed(_ r: ReviewRequest, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            let now = storage.now()
            try await tx.raw(
                """
                UPDATE review_requests SET reviewed_at = COALESCE(reviewed_at, \(bind: now)),
                next_send_at = NULL, stopped_reason = COALESCE(stopped_reason, \(bind: "reviewed"))
                WHERE id = \(bind: try r.requireID())
                """
            ).run()
        }
    }

    /// One request, by id.
    public static func find(_ id: UUID, on db: any Database) async throws -> ReviewRequest? {
        try await db.sql.rows(ReviewRequest.table) { $0.where("id", .equal, id) }.first
    }

    /// A customer's requests, newest first (the profile).
    public static func forCustomer(_ customerID: UUID, storeID: UUID, on db: any Database) async throws -> [ReviewRequest] {
        try await db.sql.rows(ReviewRequest.table) {
            $0.where("store_id", .equal, storeID).where("customer_id", .equal, customerID).orderBy("created_at", .descending).limit(50)
        }
    }
}

extension ReviewRequests {
    /// "Need help with your order? Talk to us": the buyer writes from the request's page and a
    /// conversation about that order opens at once, with a person. The signed request link is what
    /// ties the message to the customer. No reminder follows: they get the person, not a form letter.
    public static func askForHelp(
        requestID: UUID, body: String, links: CareLinks, storage: CareStorage, on db: any Database
    ) async throws -> Conversation {
        let body = try Text.required(body, field: "body", max: 20_000)
        return try await storage.write(on: db) { tx in
            guard let r = try await tx.rows(ReviewRequest.table, forUpdate: true, { $0.where("id", .equal, requestID) }).first
            else { throw CareError.notFound("request") }
            return try await converse(r, body: body, emailMessageID: nil, stop: "in_care", links: links, now: storage.now(), on: tx).conversation
        }
    }

    /// The buyer's message about the request's order, in the write `tx`: it opens the order's
    /// conversation (or joins the one an earlier message opened), and no reminder follows.
    static func converse(
        _ r: ReviewRequest, body: String, emailMessageID: String?, stop: String, links: CareLinks, now: Date, on tx: any SQLDatabase
    ) async throws -> (conversation: Conversation, message: ConversationMessage, opened: Bool) {
        guard let store = try await tx.rows(Store.table, { $0.where("id", .equal, r.storeID) }).first,
            let customer = try await tx.rows(Customer.table, { $0.where("id", .equal, r.customerID) }).first,
            customer.erasedAt == nil,
            let order = try await tx.all(Order.self, { $0.where("id", .equal, r.orderID) }).first
        else { throw CareError.notFound("request") }
        var opened = false
        let c: Conversation
        if let id = r.conversationID, let existing = try await ConversationThread.loadForChange(on: tx, { $0.where("id", .equal, id) }) {
            // Merged since: the message belongs to the conversation it was merged into.
            c = try await ConversationMerge.kept(existing, forUpdate: true, on: tx)
        } else {
            c = try ConversationThread.make(
                for: CareSubject(store: store, customer: customer), subject: "Help with order \(order.externalID)", now: now)
            try await ConversationThread.insert(c, customer: customer, now: now, on: tx)
            opened = true
        }
        let subject = try await CareSubject.of(c, store: store, customer: customer, on: tx)
        let m = try await CustomerReply.record(
            body, to: c, subject: subject, opened: opened, emailMessageID: emailMessageID, links: links, now: now, on: tx)
        r.nextSendAt = nil
        r.stoppedReason = r.stoppedReason ?? stop
        r.conversationID = c.id
        try await tx.update(
            r, in: ReviewRequest.table, only: [\ReviewRequest.$nextSendAt, \ReviewRequest.$stoppedReason, \ReviewRequest.$conversationID])
        return (c, m, opened)
    }
}

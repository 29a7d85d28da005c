import FluentKit
import Foundation
import SQLKit

/// What bounced, and the store's suppression list: an address whose mail failed permanently (a
/// delivery report with a 5.x.x status, or the relay refusing the recipient outright) is
/// undeliverable for that store until the customer answers one of the store's mails (which proves
/// the mailbox works) or staff clear it. Review
/// requests, reminders and automatic care mail to it stop; a person may still write (the reply box
/// warns). A temporary failure (4.x.x) is only noted.
///
/// A report counts only when it comes back to the return path of the very mail it is about
/// (`bounce+TOKEN@`, signed: see `CareLinks.bounceToken`) and names the address that mail went to:
/// a report naming another address, another store's mail or a token CareLoop did not sign changes
/// nothing.
public enum MailBounces {
    public struct Bounce: Sendable, Equatable {
        public let email: String
        /// `care`, `request` or `notification`: what kind of mail bounced.
        public let mailKind: String
        public let permanent: Bool
        public let status: String
        public let diagnostic: String?
        public let at: Date
    }

    static func receive(
        _ mail: InboundMail.Read, token: String, scope: InboundMail.Scope, links: CareLinks, storage: CareStorage,
        on db: any Database
    ) async throws -> InboundMail.Outcome {
        guard let deliveryID = links.openBounce(token) else { return .skipped(reason: "a return path CareLoop did not sign") }
        guard let delivery = try await deliveredMail(deliveryID, on: db.sql) else {
            return .skipped(reason: "the return path names no mail CareLoop sent")
        }
        if let storeID = scope.storeID, storeID != delivery.storeID { return .skipped(reason: "a report about another store's mail") }
        guard let report = mail.message.deliveryReport, !report.recipients.isEmpty else {
            return .skipped(reason: "mail to a return path without a delivery report (RFC 3464)")
        }
        guard let recipient = report.recipients.first(where: { $0.address == delivery.email }) else {
            return .skipped(reason: "the report names an address this mail was not sent to")
        }
        guard recipient.isPermanent || recipient.isTransient else {
            return .skipped(reason: "the report says '\(recipient.action)', not a failure")
        }
        let now = storage.now()
        try await storage.write(on: db) { sql in
            try await record(
                storeID: delivery.storeID, email: delivery.email, deliveryID: deliveryID, mailKind: delivery.kind,
                permanent: recipient.isPermanent, status: recipient.status, diagnostic: recipient.diagnostic, now: now, on: sql)
        }
        return .bounce(permanent: recipient.isPermanent)
    }

    /// A failure, in the caller's write. A permanent one stops the address's review requests at once.
    static func record(
        storeID: UUID, email: String, deliveryID: UUID?, mailKind: String, permanent: Bool, status: String, diagnostic: String?,
        now: Date, on sql: any SQLDatabase
    ) async throws {
        // A report about a delivery counts once, ever (a "delayed" one and then the final "failed" one
        // are two): sent again (a mail system retrying its pipe, or replayed after staff cleared the
        // address), it changes nothing. The unique index decides, so nodes taking it at once agree.
        let recorded =
            try await sql.raw(
                """
                INSERT INTO mail_bounces (id, store_id, email, outbox_id, mail_kind, permanent, status, diagnostic, created_at)
                VALUES (\(bind: UUID()), \(bind: storeID), \(bind: email), \(bind: deliveryID), \(bind: mailKind), \(bind: permanent),
                \(bind: String(status.prefix(20))), \(bind: diagnostic.map { String($0.prefix(500)) }), \(bind: now))
                ON CONFLICT (outbox_id, permanent) DO NOTHING
                RETURNING id
                """
            ).first() != nil
        guard recorded else { return }
        guard permanent else { return }
        try await sql.raw(
            """
            UPDATE review_requests SET next_send_at = NULL, stopped_reason = \(bind: "bounced")
            WHERE store_id = \(bind: storeID) AND next_send_at IS NOT NULL
              AND customer_id IN (SELECT id FROM customers WHERE store_id = \(bind: storeID) AND email = \(bind: email))
            """
        ).run()
    }

    /// The address works again (its owner wrote in, or staff cleared it): off the suppression list.
    public static func clear(storeID: UUID, email: String, now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE mail_bounces SET cleared_at = \(bind: now)
            WHERE store_id = \(bind: storeID) AND email = \(bind: email) AND cleared_at IS NULL
            """
        ).run()
    }

    /// Staff take an address off the suppression list. False when it was not on it.
    public static func clear(storeID: UUID, email: String, storage: CareStorage, on db: any Database) async throws -> Bool {
        guard try await isSuppressed(storeID: storeID, email: email, on: db.sql) else { return false }
        try await storage.write(on: db) { sql in try await clear(storeID: storeID, email: email, now: storage.now(), on: sql) }
        return true
    }

    public static func isSuppressed(storeID: UUID, email: String, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw(
            """
            SELECT 1 AS x FROM mail_bounces
            WHERE store_id = \(bind: storeID) AND email = \(bind: email) AND permanent = \(bind: true) AND cleared_at IS NULL LIMIT 1
            """
        ).first() != nil
    }

    /// The latest failure not cleared for an address, permanent first: what the profile, the
    /// conversation and the reply box say.
    public static func current(storeID: UUID, email: String, on db: any Database) async throws -> Bounce? {
        return try await db.sql.raw(
            """
            SELECT email, mail_kind, permanent, status, diagnostic, created_at FROM mail_bounces
            WHERE store_id = \(bind: storeID) AND email = \(bind: email) AND cleared_at IS NULL
            ORDER BY permanent DESC, created_at DESC LIMIT 1
            """
        ).first().map(bounce)
    }

    /// The suppression list: addresses whose last uncleared failure was permanent, newest first.
    public static func suppressions(storeID: UUID, limit: Int = 500, on db: any Database) async throws -> [Bounce] {
        let sql = db.sql
        let rows = try await sql.raw(
            """
            SELECT email, mail_kind, permanent, status, diagnostic, created_at FROM mail_bounces
            WHERE store_id = \(bind: storeID) AND permanent = \(bind: true) AND cleared_at IS NULL
            ORDER BY created_at DESC LIMIT \(bind: limit * 4)
            """
        ).all().map(bounce)
        var seen = Set<String>()
        return Array(rows.filter { seen.insert($0.email).inserted }.prefix(limit))
    }

    static func bounce(_ row: any SQLRow) throws -> Bounce {
        Bounce(
            email: try row.decode(column: "email", as: String.self), mailKind: try row.decode(column: "mail_kind", as: String.self),
            permanent: try row.decode(column: "permanent", as: Bool.self), status: try row.decode(column: "status", as: String.self),
            diagnostic: try row.decode(column: "diagnostic", as: String?.self), at: try row.decode(column: "created_at", as: Date.self))
    }

    /// Who a delivery went to, and what it was: from its outbox row and what it names.
    struct DeliveredMail {
        let storeID: UUID
        let email: String
        let kind: String
    }

    static func deliveredMail(_ id: UUID, on sql: any SQLDatabase) async throws -> DeliveredMail? {
        guard let row = try await sql.raw("SELECT store_id, payload FROM outbox WHERE id = \(bind: id)").first() else { return nil }
        let storeID = try row.decode(column: "store_id", as: UUID.self)
        guard let payload = try? JSONDecoder().decode(OutboxPayload.self, from: Data(try row.decode(column: "payload", as: String.self).utf8))
        else { return nil }
        let email: String?
        let kind: String
        switch payload {
        case .conversationMessage(let messageID, _):
            kind = "care"
            email = try await sql.raw(
                """
                SELECT u.email FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id
                JOIN customers u ON u.id = c.customer_id WHERE m.id = \(bind: messageID)
                """
            ).first()?.decode(column: "email", as: String.self)
        case .reviewRequest(let requestID, _):
            kind = "request"
            email = try await sql.raw(
                "SELECT u.email FROM review_requests r JOIN customers u ON u.id = r.customer_id WHERE r.id = \(bind: requestID)"
            ).first()?.decode(column: "email", as: String.self)
        case .staffNotification(let to, _, _, _):
            kind = "notification"
            email = to.first
        case .teamNotice(let to, _, _, _, _), .sample(_, let to, _):
            kind = "notification"
            email = to
        case .webhook:
            return nil
        }
        return email.map { DeliveredMail(storeID: storeID, email: $0.lowercased(), kind: kind) }
    }
}

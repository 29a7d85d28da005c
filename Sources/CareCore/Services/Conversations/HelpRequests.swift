import FluentKit
import Foundation
import SQLKit

/// "Need help with your order? Talk to us": a message typed into the store's hosted help page (the
/// widget links it), beside writing a review, never instead of it.
///
/// Anyone can type any address, and nothing unauthenticated claims an identity: the message waits
/// until the address's owner opens the link mailed to them (at most one mail a day per address and
/// store, like the public review form's confirmation) and presses the button. Then it opens a
/// conversation with that customer at once, with their message first, and they land on its page.
public enum HelpRequests {
    public static let linkLifetime: TimeInterval = 7 * 24 * 3600
    static let tokenPrefix = "hr"
    public static let maxMessage = 5_000

    public struct Submission: Sendable {
        public var email: String?
        public var name: String?
        public var order: String?
        public var message: String?
        public init(email: String?, name: String?, order: String?, message: String?) {
            self.email = email
            self.name = name
            self.order = order
            self.message = message
        }
    }

    /// Records the message and mails the confirmation link (unless this address had one from this
    /// store within a day). The answer is the same either way: the page never says whether an
    /// address is known.
    public static func submit(_ s: Submission, store: Store, links: CareLinks, storage: CareStorage, on db: any Database) async throws {
        let email = try EmailAddress(s.email ?? "", field: "email")
        let name = try Text.singleLine(try Text.name(s.name, field: "name", max: ReviewSubmission.limits.authorName), field: "name")
        let order = try Text.singleLine(try Text.optional(s.order, field: "order", max: ReviewSubmission.limits.externalID), field: "order")
        let message = try Text.required(s.message, field: "message", max: maxMessage)
        let storeID = try store.requireID()
        try await storage.write(on: db) { sql in
            let now = storage.now()
            let recent =
                try await sql.raw(
                    """
                    SELECT id FROM help_requests WHERE store_id = \(bind: storeID) AND email = \(bind: email.value)
                      AND mailed_at > \(bind: now.addingTimeInterval(-ReviewClaims.mailInterval)) LIMIT 1
                    """
                ).first() != nil
            let id = UUID()
            try await sql.raw(
                """
                INSERT INTO help_requests (id, store_id, email, name, order_ref, message, created_at, mailed_at)
                VALUES (\(bind: id), \(bind: storeID), \(bind: email.value), \(bind: name), \(bind: order), \(bind: message), \(bind: now),
                        \(bind: recent ? nil : now))
                """
            ).run()
            guard !recent else { return }
            let link =
                "\(links.publicURL)/help/\(links.pageToken(tokenPrefix + id.uuidString.lowercased(), expires: now.addingTimeInterval(linkLifetime)))"
            // Only the store's name goes into the mail: nothing a stranger typed reaches the address.
            let body = """
                You asked \(store.name) for help. To send your message to the shop, open this link and press the button on the page:
                \(link)

                A person at the shop will answer you there and by email.

                If you did not write to \(store.name), ignore this email. You will not get another one about it today.
                """
            try await Outbox.enqueue(
                .staffNotification(to: [email.value], subject: "Please confirm your message to \(store.name)", body: body, fromName: store.name),
                storeID: storeID, now: now, on: sql)
        }
    }

    /// The messages an address's link can send, as the confirmation page lists them.
    public struct Pending: Sendable {
        public let storeName: String
        /// The token's own message, once sent: the link then leads to its conversation.
        public let conversationID: UUID?
        public let messages: [Message]
    }

    /// One message written with the address and not sent yet: someone else may have used the address
    /// too, so each is shown with what it says and sent only by its own button.
    public struct Message: Sendable {
        public let id: UUID
        public let name: String?
        public let order: String?
        public let text: String
        public let writtenAt: Date
    }

    static func requestID(token: String, links: CareLinks, now: Date) throws -> UUID {
        switch links.openPage(token, now: now) {
        case .expired: throw CareError.linkExpired(message: "this link has expired; send your message again")
        case .invalid: throw CareError.notFound("message")
        case .open(let t):
            guard t.hasPrefix(tokenPrefix), let id = UUID(uuidString: String(t.dropFirst(tokenPrefix.count))) else {
                throw CareError.notFound("message")
            }
            return id
        }
    }

    /// The conversation a confirmed request opened (its link, opened again, leads there).
    public static func conversation(id: UUID, on db: any Database) async throws -> Conversation? {
        try await Conversation.find(id, on: db)
    }

    /// What the link opens, changing nothing (mail scanners open every link): every message written
    /// with the same address at the same store within the link's lifetime and not sent yet.
    public static func check(token: String, links: CareLinks, now: Date, on db: any Database) async throws -> Pending {
        let id = try requestID(token: token, links: links, now: now)
        let sql = db.sql
        guard
            let row = try await sql.raw(
                """
                SELECT h.store_id, h.email, h.conversation_id, s.name FROM help_requests h JOIN stores s ON s.id = h.store_id
                WHERE h.id = \(bind: id)
                """
            ).first()
        else { throw CareError.notFound("message") }
        let messages = try await sql.raw(
            """
            SELECT id, name, order_ref, message, created_at FROM help_requests
            WHERE store_id = \(bind: try row.decode(column: "store_id", as: UUID.self)) AND email = \(bind: try row.decode(column: "email", as: String.self))
              AND confirmed_at IS NULL AND created_at > \(bind: now.addingTimeInterval(-linkLifetime))
            ORDER BY created_at LIMIT 20
            """
        ).all().map {
            Message(
                id: try $0.decode(column: "id", as: UUID.self), name: try $0.decode(column: "name", as: String?.self),
                order: try $0.decode(column: "order_ref", as: String?.self), text: try $0.decode(column: "message", as: String.self),
                writtenAt: try $0.decode(column: "created_at", as: Date.self))
        }
        return Pending(
            storeName: try row.decode(column: "name", as: String.self), conversationID: try row.decode(column: "conversation_id", as: UUID?.self),
            messages: messages)
    }

    /// Unsent messages older than their link are removed (the job that applies retention runs this).
    @discardableResult
    public static func expire(now: Date, storage: CareStorage, on db: any Database) async throws -> Int {
        var removed = 0
        while true {
            let n = try await storage.write(on: db) { sql in
                let ids = try await sql.raw(
                    """
                    SELECT id FROM help_requests WHERE confirmed_at IS NULL AND created_at < \(bind: now.addingTimeInterval(-linkLifetime)) LIMIT 500
                    """
                ).all().map { try $0.decode(column: "id", as: UUID.self) }
                if !ids.isEmpty { try await sql.raw("DELETE FROM help_requests WHERE id IN \(SQLBind.group(ids))").run() }
                return ids.count
            }
            removed += n
            if n < 500 { return removed }
        }
    }

    /// The address's owner confirms: the conversation opens with their message (once; pressing again
    /// returns the same conversation). Its subject names the order when it is one of theirs.
    /// `chosen`: which of the address's messages (the token's own when nil); it must carry the same
    /// address at the same store as the token's.
    public static func confirm(token: String, chosen: UUID? = nil, links: CareLinks, storage: CareStorage, on db: any Database) async throws
        -> Conversation
    {
        let tokenID = try requestID(token: token, links: links, now: storage.now())
        let id = chosen ?? tokenID
        return try await storage.write(on: db) { sql in
            let now = storage.now()
            guard
                let row = try await sql.raw(
                    """
                    SELECT h.store_id, h.email, h.name, h.order_ref, h.message, h.conversation_id FROM help_requests h
                    JOIN help_requests t ON t.id = \(bind: tokenID)
                    WHERE h.id = \(bind: id) AND h.store_id = t.store_id AND h.email = t.email
                    """
                ).first()
            else { throw CareError.notFound("message") }
            let storeID = try row.decode(column: "store_id", as: UUID.self)
            guard let store = try await sql.rows(Store.table, { $0.where("id", .equal, storeID) }).first else { throw CareError.notFound("message") }
            if let existing = try row.decode(column: "conversation_id", as: UUID?.self),
                let c = try await sql.rows(Conversation.table, { $0.where("id", .equal, existing) }).first
            {
                return c
            }
            let email = try EmailAddress(try row.decode(column: "email", as: String.self))
            let (customer, _) = try await Catalog.customer(
                email: email, name: try row.decode(column: "name", as: String?.self), storeID: storeID, now: now, on: sql)
            guard customer.erasedAt == nil else { throw CareError.notFound("message") }
            var subject = "Help request"
            let customerID = try customer.requireID()
            if let ref = try row.decode(column: "order_ref", as: String?.self),
                try await sql.first(
                    Order.self, { $0.where("store_id", .equal, storeID).where("external_id", .equal, ref).where("customer_id", .equal, customerID) })
                    != nil
            {
                subject = "Help with order \(ref)"
            }
            let c = try ConversationThread.make(for: CareSubject(store: store, customer: customer), subject: subject, now: now)
            try await ConversationThread.insert(c, customer: customer, now: now, on: sql)
            let careSubject = try await CareSubject.of(c, store: store, customer: customer, on: sql)
            _ = try await CustomerReply.record(
                try row.decode(column: "message", as: String.self), to: c, subject: careSubject, opened: true, links: links, now: now, on: sql)
            try await sql.raw(
                "UPDATE help_requests SET confirmed_at = \(bind: now), conversation_id = \(bind: c.requireID()) WHERE id = \(bind: id)"
            ).run()
            return c
        }
    }
}

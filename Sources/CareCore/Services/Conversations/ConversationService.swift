import FluentKit
import Foundation
import SQLKit

/// What staff do with conversations (through the API now, the dashboard later).
public enum ConversationService {
    public struct Filter: Sendable {
        public var status: ConversationStatus?
        /// A staff email, or "none" for unassigned.
        public var assignee: String?
        public init(status: ConversationStatus? = nil, assignee: String? = nil) {
            self.status = status
            self.assignee = assignee
        }
    }

    /// A conversation as a list shows it, with its customer and assignee: plain values read in one
    /// query (no model objects, no second look-up per page).
    public struct Listed: Sendable {
        public struct Person: Sendable {
            public let id: UUID
            public let email: String
            public let name: String?
        }

        public let id: UUID
        public let reviewID: UUID?
        public let token: String
        public let subject: String
        public let status: ConversationStatus
        public let priority: ConversationPriority
        public let tags: [String]
        public let slaDueAt: Date?
        public let slaTarget: String?
        public let firstResponseAt: Date?
        public let resolvedAt: Date?
        public let resolutionNote: String?
        public let createdAt: Date
        public let updatedAt: Date
        public let customer: Person?
        public let assignee: Person?
    }

    /// The inbox: most urgent SLA first, then newest.
    public static func list(storeID: UUID, filter: Filter, page: ReviewQueries.Page, on db: any Database) async throws -> (
        items: [Listed], total: Int
    ) {
        let sql = db.sql
        var conditions: SQLQueryString = "c.store_id = \(bind: storeID)"
        if let status = filter.status { conditions = "\(conditions) AND c.status = \(bind: status.rawValue)" }
        if let assignee = filter.assignee {
            if assignee == "none" {
                conditions = "\(conditions) AND c.assignee_id IS NULL"
            } else {
                guard
                    let staff = try await sql.raw(
                        "SELECT id FROM staff_users WHERE store_id = \(bind: storeID) AND email = \(bind: assignee.lowercased())"
                    ).first()?.decode(column: "id", as: UUID.self)
                else { return ([], 0) }
                conditions = "\(conditions) AND c.assignee_id = \(bind: staff)"
            }
        }
        // The store's tallies answer a status alone; only a person's list is counted.
        let total =
            filter.assignee == nil
            ? try await Tallies.conversations(storeID: storeID, status: filter.status?.rawValue, on: sql)
            : try await sql.raw("SELECT COUNT(*) AS n FROM conversations c WHERE \(conditions)").first()?.decode(column: "n", as: Int.self) ?? 0
        // Soonest SLA first, then newest: the order of the index conversations_inbox_sorted, so only a page is read.
        let items = try await listed(
            "\(conditions) ORDER BY c.sla_due_at ASC, c.created_at DESC LIMIT \(bind: page.size) OFFSET \(bind: page.offset)", on: sql)
        return (items, total)
    }

    public static func find(id: UUID, storeID: UUID, on db: any Database) async throws -> (Listed, [ConversationMessage]) {
        guard let c = try await listed("c.id = \(bind: id) AND c.store_id = \(bind: storeID)", on: db.sql).first
        else { throw CareError.notFound("conversation") }
        return (c, try await thread(id, on: db))
    }

    /// A conversation's messages, oldest first.
    static func thread(_ id: UUID, on db: any Database) async throws -> [ConversationMessage] {
        try await ConversationMessage.query(on: db).filter(\.$conversationID == id).sort(\.$createdAt).all()
    }

    static func listed(_ whereOrderLimit: SQLQueryString, on sql: any SQLDatabase) async throws -> [Listed] {
        try await sql.raw(
            """
            SELECT c.id, c.review_id, c.token, c.subject, c.status, c.priority, c.tags, c.sla_due_at, c.sla_target,
                   c.first_response_at, c.resolved_at, c.resolution_note, c.created_at, c.updated_at,
                   cu.id AS customer_id, cu.email AS customer_email, cu.name AS customer_name,
                   s.id AS staff_id, s.email AS staff_email, s.name AS staff_name
            FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id AND cu.store_id = c.store_id
            LEFT JOIN staff_users s ON s.id = c.assignee_id AND s.store_id = c.store_id
            WHERE \(whereOrderLimit)
            """
        ).all().map { row in
            func person(_ prefix: String) throws -> Listed.Person? {
                guard let id = try row.decode(column: prefix + "_id", as: UUID?.self) else { return nil }
                return Listed.Person(
                    id: id, email: try row.decode(column: prefix + "_email", as: String.self),
                    name: try row.decode(column: prefix + "_name", as: String?.self))
            }
            let status = try row.decode(column: "status", as: String.self)
            let priority = try row.decode(column: "priority", as: String.self)
            return Listed(
                id: try row.decode(column: "id", as: UUID.self), reviewID: try row.decode(column: "review_id", as: UUID?.self),
                token: try row.decode(column: "token", as: String.self), subject: try row.decode(column: "subject", as: String.self),
                status: ConversationStatus(rawValue: status) ?? .open, priority: ConversationPriority(rawValue: priority) ?? .normal,
                tags: ConversationTags.read(try row.decode(column: "tags", as: String.self)),
                slaDueAt: try row.decode(column: "sla_due_at", as: Date?.self), slaTarget: try row.decode(column: "sla_target", as: String?.self),
                firstResponseAt: try row.decode(column: "first_response_at", as: Date?.self),
                resolvedAt: try row.decode(column: "resolved_at", as: Date?.self),
                resolutionNote: try row.decode(column: "resolution_note", as: String?.self),
                createdAt: try row.decode(column: "created_at", as: Date.self), updatedAt: try row.decode(column: "updated_at", as: Date.self),
                customer: try person("customer"), assignee: try person("staff"))
        }
    }

    /// A staff reply (emailed to the customer) or an internal note (never sent).
    public static func reply(
        conversationID: UUID, storeID: UUID, body: String, isInternal: Bool, staffID: UUID?,
        action: UndoableAction? = nil, storage: CareStorage, on db: any Database
    ) async throws -> ConversationMessage {
        let body = try Text.required(body, field: "body", max: 20_000)
        return try await storage.write(on: db) { tx in
            let c = try await load(conversationID, storeID: storeID, on: tx)
            let now = storage.now()
            if isInternal {
                return try await ConversationThread.addMessage(.note, body: body, staffID: staffID, to: c, now: now, on: tx)
            }
            let send = { () async throws -> ConversationMessage in
                // Whoever answers an unowned conversation owns it (unless the store turned that off).
                if c.assigneeID == nil, let staffID, try await ReplyTargets.load(storeID: storeID, on: tx).assignOnReply {
                    c.assigneeID = staffID
                }
                return try await ConversationThread.sendStaffMessage(body, staffID: staffID, in: c, now: now, countsAsResponse: true, on: tx)
            }
            guard let action else { return try await send() }
            try await UndoActions.record(action, kind: "send", conversation: c, on: tx)
            return try await action.binding(send)
        }
    }

    /// Resolves a conversation with an optional note. When it is about a review and the store invites
    /// review updates, the customer gets one plain message saying they may update their review if they
    /// wish: nothing is offered for it, and nothing depends on it. With `action`, the mails wait for
    /// its undo window and follow the mails it queued before (a reply sent with the resolution).
    public static func resolve(
        conversationID: UUID, storeID: UUID, note: String?, links: CareLinks, action: UndoableAction? = nil,
        storage: CareStorage, on db: any Database
    ) async throws {
        let note = try Text.optional(note, field: "resolution_note", max: 5000)
        try await storage.write(on: db) { tx in
            let c = try await load(conversationID, storeID: storeID, on: tx)
            guard c.status != .resolved else { return }
            let now = storage.now()
            let work = { () async throws -> Void in
                let customer = try await tx.first(Customer.self, { $0.where("id", .equal, c.customerID) })
                try await ConversationThread.markResolved(c, note: note, customer: customer, now: now, on: tx)
                try await ConversationThread.update(c, on: tx)
                try await ConversationThread.addMessage(
                    .system, body: "Resolved" + (note.map { ": \($0)" } ?? "."), staffID: nil, to: c, now: now, on: tx)
                if let reviewID = c.reviewID,
                    let store = try await tx.first(Store.self, { $0.where("id", .equal, storeID) }), store.inviteReviewUpdate,
                    let review = try await tx.first(Review.self, { $0.where("id", .equal, reviewID) }), review.status != .rejected
                {
                    let language = try await CareLanguage.of(customerID: c.customerID, storeID: storeID, on: tx)
                    let invitation = ReviewUpdateInvitation.text(
                        customerName: customer?.name, storeName: store.name,
                        link: links.conversationPage(token: c.token, issuedAt: now) + "#review", language: language)
                    try await ConversationThread.sendStaffMessage(
                        invitation, staffID: nil, in: c, now: now.addingTimeInterval(0.001),
                        countsAsResponse: false, automaticTo: customer?.email, on: tx)
                }
                try await fireForConversation(.conversationResolved, c, links: links, now: now, on: tx)
            }
            guard let action else { return try await work() }
            try await UndoActions.record(action, kind: "resolve", conversation: c, on: tx)
            try await action.binding(work)
        }
    }

    /// Assigns to a staff member by email, or unassigns with nil.
    /// `by`: who assigned it; the new assignee hears of it when it was somebody else (a handoff).
    public static func assign(
        conversationID: UUID, storeID: UUID, to email: String?, by: (id: UUID, name: String)? = nil, links: CareLinks? = nil,
        storage: CareStorage, on db: any Database
    ) async throws {
        try await storage.write(on: db) { tx in
            let c = try await load(conversationID, storeID: storeID, on: tx)
            let before = c.assigneeID
            if let email {
                guard let id = try await Staff.pick(email.lowercased(), storeID: storeID, on: tx) else {
                    throw CareError.invalid("assignee", "no staff member of this store has that email")
                }
                c.assigneeID = id
            } else {
                c.assigneeID = nil
            }
            let now = storage.now()
            c.updatedAt = now
            try await ConversationThread.update(c, on: tx)
            if let to = c.assigneeID, to != before, let links, to != by?.id {
                let from = by?.name ?? "Somebody"
                try await StaffNotifications.tell(
                    [to], .handoff, about: c, text: "\(from) handed “\(c.subject)” to you.", links: links, now: now, on: tx)
            }
        }
    }

    /// Hands a conversation to a teammate in one write: the text (if any) as an internal note for
    /// them, the conversation assigned to them, and they are told. Nothing is written for someone who
    /// is not on the store's team.
    public static func handOff(
        conversationID: UUID, storeID: UUID, to email: String, note: String, by: (id: UUID, name: String), links: CareLinks,
        storage: CareStorage, on db: any Database
    ) async throws {
        let text = note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : try Text.required(note, field: "body", max: 20_000)
        try await storage.write(on: db) { tx in
            let c = try await load(conversationID, storeID: storeID, on: tx)
            // An address only ("round_robin" is a trigger's word, not a person).
            guard email.contains("@"), let to = try await Staff.pick(email.lowercased(), storeID: storeID, on: tx) else {
                throw CareError.invalid("handoff", "no staff member of this store has that email")
            }
            let now = storage.now()
            if let text { try await ConversationThread.addMessage(.note, body: text, staffID: by.id, to: c, now: now, on: tx) }
            let before = c.assigneeID
            c.assigneeID = to
            c.updatedAt = now
            try await ConversationThread.update(c, on: tx)
            if to != before, to != by.id {
                try await StaffNotifications.tell(
                    [to], .handoff, about: c, text: "\(by.name) handed “\(c.subject)” to you\(text.map { ": \($0.prefix(140))" } ?? ".")",
                    links: links, now: now, on: tx)
            }
        }
    }

    static func load(_ id: UUID, storeID: UUID, on sql: any SQLDatabase) async throws -> Conversation {
        guard let c = try await ConversationThread.loadForChange(on: sql, { $0.where("id", .equal, id).where("store_id", .equal, storeID) })
        else { throw CareError.notFound("conversation") }
        return c
    }

    static func fireForConversation(_ event: TriggerEvent, _ c: Conversation, links: CareLinks, now: Date, on sql: any SQLDatabase) async throws {
        guard let subject = try await CareSubject.of(c, on: sql) else { return }
        try await TriggerRunner.fire(event, subject: subject, links: links, now: now, on: sql)
    }
}

extension Optional {
    public func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let w = self else { return nil }
        return try await f(w)
    }
}

extension ConversationService {
    /// The customer's own reply (from the hosted page): reopens the conversation and runs the
    /// store's `conversation.customer_replied` triggers.
    public static func customerReply(
        conversationID: UUID, storeID: UUID, body: String, photos: [Photo] = [], links: CareLinks,
        storage: CareStorage, on db: any Database
    ) async throws -> ConversationMessage {
        let body = try Text.required(body, field: "body", max: 20_000)
        return try await storage.write(on: db) { tx in
            let c = try await load(conversationID, storeID: storeID, on: tx)
            guard let subject = try await CareSubject.of(c, on: tx) else { throw CareError.notFound("conversation") }
            let now = storage.now()
            let m = try await CustomerReply.record(body, to: c, subject: subject, links: links, now: now, on: tx)
            try await MessagePhotos.add(photos, message: m, to: c, now: now, on: tx)
            return m
        }
    }
}

extension ConversationService {
    /// A person's changes to a conversation from the dashboard: priority, tags, reopening.
    public static func setPriority(
        _ priority: ConversationPriority, conversationID: UUID, storeID: UUID, storage: CareStorage,
        on db: any Database
    ) async throws {
        try await change(conversationID, storeID: storeID, storage: storage, on: db) { c in c.priority = priority }
    }

    /// Replaces the tags with the given list (lowercased, trimmed, without repeats, at most 20).
    public static func setTags(_ raw: [String], conversationID: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        var tags: [String] = []
        for t in raw.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !t.isEmpty && !tags.contains(t) {
            guard t.count <= 50 else { throw CareError.invalid("tags", "a tag is at most 50 characters") }
            tags.append(t)
        }
        guard tags.count <= 20 else { throw CareError.invalid("tags", "at most 20 tags") }
        let chosen = tags
        try await change(conversationID, storeID: storeID, storage: storage, on: db) { c in c.tags = chosen }
    }

    /// Opens a resolved conversation again (the customer wrote back by phone, say).
    public static func reopen(conversationID: UUID, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        try await storage.write(on: db) { tx in
            let c = try await load(conversationID, storeID: storeID, on: tx)
            guard c.status == .resolved else { return }
            let now = storage.now()
            c.status = .open
            c.resolvedAt = nil
            c.updatedAt = now
            try await ConversationThread.update(c, on: tx)
            try await ConversationThread.addMessage(.system, body: "Reopened.", staffID: nil, to: c, now: now, on: tx)
        }
    }

    private static func change(
        _ id: UUID, storeID: UUID, storage: CareStorage, on db: any Database,
        _ edit: @escaping @Sendable (Conversation) -> Void
    ) async throws {
        try await storage.write(on: db) { tx in
            let c = try await load(id, storeID: storeID, on: tx)
            edit(c)
            c.updatedAt = storage.now()
            try await ConversationThread.update(c, on: tx)
        }
    }
}

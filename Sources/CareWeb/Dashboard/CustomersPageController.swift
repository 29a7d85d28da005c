import CareCore
import Fluent
import Vapor

/// The shop's memory: find a customer, and see everything they bought, said and were promised.
enum CustomersPageController {
    struct Found: Encodable {
        let href: String
        let name: String
        let email: String
        let since: String
    }

    struct ListData: Encodable {
        let query: String
        let customers: [Found]
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let q = String((req.queryText("q") ?? "").prefix(200))
        let found = try await CustomerProfile.search(q, storeID: ctx.storeID, on: req.db)
        let data = ListData(
            query: q,
            customers: found.map {
                Found(href: SitePath.customer.href($0.id!), name: $0.name ?? "—", email: $0.email, since: Shown.day($0.createdAt))
            })
        return try await DashboardPage.render(req, "app-customers", title: "Customers", section: "customers", data)
    }

    struct OrderRow: Encodable {
        let externalID: String
        let placed: String
        let total: String
        let fulfilled: Bool
    }
    struct EditRow: Encodable {
        let when: String
        let previousRating: Int
        let previousBody: String?
    }
    struct ReviewRow: Encodable {
        let product: String
        let stars: String
        let rating: Int
        let title: String?
        let body: String?
        let status: String
        let when: String
        let edits: [EditRow]
        let hasEdits: Bool
    }
    struct ConversationRow: Encodable {
        let href: String
        let subject: String
        let status: String
        let when: String
    }
    struct NoteRow: Encodable {
        let body: String
        let author: String
        let when: String
    }

    struct RequestRow: Encodable {
        let order: String
        let sent: String
        let emails: Int
        let opened: String
        let reviewed: String
        let state: String
    }

    struct ProfileData: Encodable {
        let id: String
        let card: CustomerCard
        let orders: [OrderRow]
        let requests: [RequestRow]
        let unsubscribed: String?
        let reviews: [ReviewRow]
        let conversations: [ConversationRow]
        let notes: [NoteRow]
        let tags: [String]
        let hasTags: Bool
        /// "Email bounced …" when the address's mail failed (see `BounceNotice`).
        let bounce: String?
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "customer")
        let p = try await CustomerProfile.load(customerID: id, storeID: ctx.storeID, on: req.db)
        let card = try await CustomerCard.make(p.customer, figures: p.figures, ctx: ctx, on: req.db)
        let tags = Array(Set(p.conversations.flatMap(\.tags))).sorted()
        let asked = try await RequestFunnel.forCustomer(id, storeID: ctx.storeID, on: req.db)
        let data = ProfileData(
            id: id.uuidString, card: card,
            orders: p.orders.map { o in
                OrderRow(
                    externalID: o.externalID, placed: Shown.day(o.placedAt ?? o.createdAt),
                    total: o.totalCents.map { Money.format(cents: $0) + (o.currency.map { " \($0)" } ?? "") } ?? "—",
                    fulfilled: o.fulfilledAt != nil)
            },
            requests: asked.entries.map { e in
                let r = e.request
                let state =
                    r.stoppedReason.map { "stopped: \($0.replacingOccurrences(of: "_", with: " "))" }
                    ?? r.nextSendAt.map { (r.emailsSent == 0 ? "request due " : "reminder due ") + Shown.day($0) } ?? "done"
                return RequestRow(
                    order: e.orderExternalID, sent: r.firstSentAt.map(Shown.day) ?? "not yet", emails: r.emailsSent,
                    opened: r.formOpenedAt.map(Shown.day) ?? "—", reviewed: r.reviewedAt.map(Shown.day) ?? "—", state: state)
            },
            unsubscribed: asked.unsubscribedAt.map(Shown.time),
            reviews: p.reviews.map { r in
                ReviewRow(
                    product: r.product?.name ?? "—", stars: Shown.stars(r.review.rating),
                    rating: r.review.rating, title: r.review.title, body: r.review.body, status: r.review.status.rawValue,
                    when: Shown.day(r.review.createdAt),
                    edits: r.edits.map { EditRow(when: Shown.time($0.editedAt), previousRating: $0.previousRating, previousBody: $0.previousBody) },
                    hasEdits: !r.edits.isEmpty)
            },
            conversations: p.conversations.map {
                ConversationRow(
                    href: SitePath.conversation.href($0.id!), subject: $0.subject, status: $0.status.rawValue,
                    when: Shown.day($0.createdAt))
            },
            notes: p.notes.map { NoteRow(body: $0.note.body, author: $0.author ?? "—", when: Shown.time($0.note.createdAt)) },
            tags: tags, hasTags: !tags.isEmpty,
            bounce: try await MailBounces.current(storeID: ctx.storeID, email: p.customer.email, on: req.db).map(BounceNotice.text))
        return try await DashboardPage.render(req, "app-customer", title: card.name, section: "customers", data)
    }

    struct NoteForm: Content { let note: String? }

    /// Owner only: everything stored about the customer, as a JSON download.
    static func export(_ req: Request) async throws -> Response {
        try await CustomersController.exportResponse(req, storeID: try req.staff.storeID, download: true)
    }

    struct EraseForm: Content { let confirm: String? }

    /// Owner only, confirmed by typing ERASE: erases the customer (ratings stay, anonymously).
    static func erase(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "customer")
        guard (try? req.content.decode(EraseForm.self))?.confirm == "ERASE" else {
            throw DashboardError(status: .unprocessableEntity, message: "Type ERASE to confirm erasing this customer.")
        }
        _ = try await CustomerPrivacy.erase(customerID: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.customer.href(id))
    }

    static func addNote(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "customer")
        try await CustomerProfile.addNote(
            customerID: id, storeID: ctx.storeID, staffID: ctx.staffID, body: try req.content.decode(NoteForm.self).note ?? "",
            storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.customer.href(id))
    }
}

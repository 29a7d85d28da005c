import CareCore
import Fluent
import Vapor

/// One conversation as the care team works it: the thread, the reply box and internal notes,
/// assignment, priority, tags, resolve and reopen, and beside it the customer card.
enum ConversationPageController {
    struct Message: Encodable {
        let author: String
        let who: String
        let when: String
        let body: String
    }

    struct Option: Encodable {
        let value: String
        let label: String
        let selected: Bool
    }

    struct Data: Encodable {
        let id: String
        let subject: String
        let status: String
        let resolved: Bool
        let priority: String
        let tags: String
        let hasTags: Bool
        let due: String
        let overdue: Bool
        let messages: [Message]
        let assignees: [Option]
        let priorities: [Option]
        let customer: CustomerCard
        let review: ReviewCard?
        let pageURL: String
        let savedReplies: [Option]
        let hasSavedReplies: Bool
        /// A saved reply filled in for this conversation, to start the reply from.
        let draft: String
        /// Says what resolving does: with a review and the store's invitation on, the customer is
        /// invited to update their review.
        let resolveLabel: String
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "conversation")
        let (listed, messages) = try await ConversationService.find(id: id, storeID: ctx.storeID, on: req.db)
        let c = listed.conversation
        let staff = try await StaffUser.query(on: req.db).filter(\.$storeID == ctx.storeID).sort(\.$name).all()
        let names = Dictionary(staff.compactMap { s in s.id.map { ($0, s.name) } }, uniquingKeysWith: { a, _ in a })
        let review = try await c.reviewID.asyncMap { try await Review.find($0, on: req.db) } ?? nil
        let now = req.care.storage.now()
        let invites = try await StoreService.find(id: ctx.storeID, on: req.db).inviteReviewUpdate && review != nil && review?.status != .rejected
        let (due, overdue) = TimeLeft.describe(c.slaDueAt, target: c.slaTarget, status: c.status, now: now)
        guard let listedCustomer = listed.customer else { throw CareError.notFound("customer") }
        let customer = try await CustomerCard.make(listedCustomer, ctx: ctx, on: req.db)
        let saved = try await SavedReplies.list(storeID: ctx.storeID, on: req.db)
        let chosen = req.query[String.self, at: "saved"].flatMap(UUID.init(uuidString:))
        let draft =
            try await chosen.asyncMap {
                try await SavedReplies.render(id: $0, conversationID: id, storeID: ctx.storeID, links: req.care.links, now: now, on: req.db)
            } ?? ""
        let data = Data(
            id: id.uuidString, subject: c.subject, status: c.status.rawValue, resolved: c.status == .resolved, priority: c.priority.rawValue,
            tags: c.tags.joined(separator: ", "), hasTags: !c.tags.isEmpty, due: due, overdue: overdue,
            messages: messages.map { m in
                let who =
                    switch m.author {
                    case .customer: listed.customer?.name ?? listed.customer?.email ?? "Customer"
                    case .staff: m.staffID.flatMap { names[$0] } ?? "Care trigger"
                    case .note: "Note · " + (m.staffID.flatMap { names[$0] } ?? "trigger")
                    case .system: "CareLoop"
                    }
                return Message(author: m.author.rawValue, who: who, when: Shown.time(m.createdAt), body: m.body)
            },
            assignees: [Option(value: "", label: "Unassigned", selected: c.assigneeID == nil)]
                + staff.map { Option(value: $0.email, label: $0.name, selected: $0.id == c.assigneeID) },
            priorities: ConversationPriority.allCases.map { Option(value: $0.rawValue, label: $0.rawValue.capitalized, selected: $0 == c.priority) },
            customer: customer,
            review: review.map { ReviewCard($0) },
            pageURL: req.care.links.conversationPage(token: c.token, issuedAt: now),
            savedReplies: saved.map { Option(value: $0.id!.uuidString, label: $0.title, selected: $0.id == chosen) },
            hasSavedReplies: !saved.isEmpty, draft: draft,
            resolveLabel: invites ? "Resolve and invite the customer to update their review" : "Resolve")
        return try await DashboardPage.render(req, "app-conversation", title: c.subject, section: "inbox", data)
    }

    struct ReplyForm: Content {
        let body: String?
        let `internal`: String?
    }
    struct AssignForm: Content { let assignee: String? }
    struct PriorityForm: Content { let priority: String? }
    struct TagsForm: Content { let tags: String? }
    struct ResolveForm: Content { let note: String? }

    static func reply(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        let form = try req.content.decode(ReplyForm.self)
        _ = try await ConversationService.reply(
            conversationID: id, storeID: ctx.storeID, body: form.body ?? "", isInternal: form.`internal` == "1",
            staffID: ctx.staffID, storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    static func assign(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        let raw = try req.content.decode(AssignForm.self).assignee ?? ""
        let email = raw == "me" ? ctx.staff.email : raw
        try await ConversationService.assign(
            conversationID: id, storeID: ctx.storeID, to: email.isEmpty ? nil : email,
            storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    static func priority(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        guard let p = ConversationPriority(rawValue: try req.content.decode(PriorityForm.self).priority ?? "") else {
            throw CareError.invalid("priority", "use one of low, normal, high, urgent")
        }
        try await ConversationService.setPriority(p, conversationID: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    static func tags(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        let tags = (try req.content.decode(TagsForm.self).tags ?? "").split(separator: ",").map(String.init)
        try await ConversationService.setTags(tags, conversationID: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    static func resolve(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        try await ConversationService.resolve(
            conversationID: id, storeID: ctx.storeID, note: try req.content.decode(ResolveForm.self).note,
            links: req.care.links, storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    static func reopen(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        try await ConversationService.reopen(conversationID: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    private static func target(_ req: Request) throws -> (StaffContext, UUID) {
        (try req.staff, try req.uuidParameter("id", what: "conversation"))
    }

    private static func back(_ req: Request, _ id: UUID) -> Response {
        DashboardPage.back(req, to: "/app/conversations/\(id)")
    }
}

/// What staff see of a customer beside a conversation: enough to recognise them at a glance.
struct CustomerCard: Encodable {
    let href: String
    let name: String
    let email: String
    let firstSeen: String
    let orders: Int
    let lifetimeValue: String
    let reviews: Int
    let averageRating: String
    let openConversations: Int
    let outlier: Bool

    /// The card for a customer of the store (the caller has checked the store), with figures when the
    /// caller already has them.
    static func make(_ customer: Customer, figures: CustomerProfile.Figures? = nil, ctx: StaffContext, on db: any Database) async throws
        -> CustomerCard
    {
        let customerID = try customer.requireID()
        guard customer.storeID == ctx.storeID else { throw CareError.notFound("customer") }
        let f: CustomerProfile.Figures
        if let figures { f = figures } else { f = try await CustomerProfile.figures(customerID: customerID, storeID: ctx.storeID, on: db) }
        return CustomerCard(
            href: "/app/customers/\(customerID)", name: customer.name ?? customer.email, email: customer.email,
            firstSeen: Shown.day(f.firstSeen), orders: f.orderCount, lifetimeValue: Money.format(cents: f.lifetimeValueCents),
            reviews: f.reviewCount, averageRating: f.averageRatingGiven.map { String(format: "%.1f★", $0) } ?? "—",
            openConversations: f.openConversations, outlier: f.isOutlier)
    }
}

/// The review a conversation is about.
struct ReviewCard: Encodable {
    let stars: String
    let rating: Int
    let title: String?
    let body: String?
    let status: String
    let href: String

    init(_ r: Review) {
        stars = Shown.stars(r.rating)
        rating = r.rating
        title = r.title
        body = r.body
        status = r.status.rawValue
        href = "/app/reviews?review=\(r.id!)"
    }
}

/// How the dashboard shows times, days and stars.
enum Shown {
    static func time(_ d: Date) -> String { ISODate.format(d).prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC" }
    static func day(_ d: Date) -> String { String(ISODate.format(d).prefix(10)) }
    /// "★★☆☆☆" for 2 stars.
    static func stars(_ n: Int) -> String { String(repeating: "★", count: n) + String(repeating: "☆", count: max(0, 5 - n)) }
}

enum Money {
    static func format(cents: Int) -> String { String(format: "%d.%02d", cents / 100, abs(cents % 100)) }
}

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
        let photos: [CustomerPageController.PhotoContext]
        let hasPhotos: Bool
    }

    typealias Option = FormChoice

    struct SavedChoice: Encodable {
        let id: String
        let title: String
        let text: String
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
        let context: ConversationContext
        let pageURL: String
        let savedReplies: [Option]
        let hasSavedReplies: Bool
        /// Every saved reply filled in for this conversation, for the `/` picker.
        let savedTexts: [SavedChoice]
        /// A saved reply filled in for this conversation, or the reply a stale send kept.
        let draft: String
        /// Says what resolving does: with a review and the store's invitation on, the customer is
        /// invited to update their review.
        let resolveLabel: String
        /// The inbox view this page was opened from, carried by every form and link.
        let view: String
        let inboxHref: String
        let previousHref: String?
        let nextHref: String?
        let position: String?
        /// When the page was loaded, as the time of its latest message: a send checks nothing newer came.
        let seen: String
        /// Teammates with the conversation open now.
        let viewers: String?
        let hasViewers: Bool
        /// Set when a send was stopped because somebody wrote in the meantime.
        let stale: String?
        /// What just happened (an undo).
        let notice: String?
        /// The signed-in person's email, for "assign to me".
        let me: String
        /// One button a teammate (up to six) to hand the conversation over.
        let handoffs: [Option]
        /// Where this conversation's messages went, when it was merged.
        let mergedInto: String?
        /// The customer's address bounced: what the reply box warns of.
        let bounce: String?
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "conversation")
        try await Collision.checkIn(conversationID: id, storeID: ctx.storeID, staffID: ctx.staffID, storage: req.care.storage, on: req.db)
        return try await render(req, id: id, view: InboxViewQuery.from(viewParameter: req.queryText("view")))
    }

    static func render(
        _ req: Request, id: UUID, view: Inbox.View, draft keptDraft: String? = nil, stale: String? = nil, notice: String? = nil,
        status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let ctx = try req.staff
        let (c, listedCustomer, messages) = try await ConversationPageQueries.conversation(id: id, storeID: ctx.storeID, on: req.db)
        let staff = try await Team.byName(storeID: ctx.storeID, on: req.db)
        let names = Dictionary(staff.compactMap { s in s.id.map { ($0, s.name) } }, uniquingKeysWith: { a, _ in a })
        let review = try await ConversationPageQueries.review(id: c.reviewID, storeID: ctx.storeID, on: req.db)
        let now = req.care.storage.now()
        let zone = try await StoreZone.of(ctx.storeID, on: req.db)
        let invites = try await StoreService.find(id: ctx.storeID, on: req.db).inviteReviewUpdate && review != nil && review?.status != .rejected
        let (due, overdue) = TimeLeft.describe(c.slaDueAt, target: c.slaTarget, status: c.status, now: now)
        let customer = try await CustomerCard.make(listedCustomer, ctx: ctx, on: req.db)
        let saved = try await SavedReplies.list(storeID: ctx.storeID, on: req.db)
        let chosen = req.queryText("saved").flatMap(UUID.init(uuidString:))
        var draft = keptDraft ?? ""
        if keptDraft == nil, let chosen {
            draft = try await SavedReplies.render(id: chosen, conversationID: id, storeID: ctx.storeID, links: req.care.links, now: now, on: req.db)
        }
        let photos = Dictionary(grouping: try await MessagePhotos.list(conversationID: id, storeID: ctx.storeID, on: req.db), by: \.messageID)
        let viewString = InboxViewQuery.string(view)
        let (previous, next, position) = try await neighbours(of: id, in: view, ctx: ctx, now: now, searches: req.care.inboxSearches, on: req.db)
        let activity = try await Collision.activity(conversationID: id, storeID: ctx.storeID, staffID: ctx.staffID, since: nil, now: now, on: req.db)
        let data = Data(
            id: id.uuidString, subject: c.subject, status: c.status.rawValue, resolved: c.status == .resolved, priority: c.priority.rawValue,
            tags: c.tags.joined(separator: ", "), hasTags: !c.tags.isEmpty, due: due, overdue: overdue,
            messages: messages.map { m in
                let who =
                    switch m.author {
                    case .customer: listedCustomer.name ?? listedCustomer.email
                    case .staff: m.staffID.flatMap { names[$0] } ?? "Care trigger"
                    case .note: "Note · " + (m.staffID.flatMap { names[$0] } ?? "trigger")
                    case .system: "CareLoop"
                    }
                let shown = (m.id.flatMap { photos[$0] } ?? []).map {
                    CustomerPageController.PhotoContext(href: SitePath.photo.href($0.id), width: $0.width, height: $0.height)
                }
                return Message(
                    author: m.author.rawValue, who: who, when: Shown.time(m.createdAt, in: zone), body: m.body, photos: shown,
                    hasPhotos: !shown.isEmpty)
            },
            assignees: [Option(value: "", label: "Unassigned", selected: c.assigneeID == nil)]
                + staff.map { Option(value: $0.email, label: $0.name, selected: $0.id == c.assigneeID) },
            priorities: ConversationPriority.allCases.map { Option(value: $0.rawValue, label: $0.rawValue.capitalized, selected: $0 == c.priority) },
            customer: customer,
            review: review.map { ReviewCard($0) },
            context: try await ConversationContext.make(conversation: c, review: review, storeID: ctx.storeID, zone: zone, on: req.db),
            pageURL: req.care.links.conversationPage(token: c.token, issuedAt: now),
            savedReplies: saved.map { Option(value: $0.id!.uuidString, label: $0.title, selected: $0.id == chosen) },
            hasSavedReplies: !saved.isEmpty,
            savedTexts: try await SavedReplies.renderAll(conversationID: id, storeID: ctx.storeID, links: req.care.links, now: now, on: req.db)
                .map { SavedChoice(id: $0.id.uuidString, title: $0.title, text: $0.text) },
            draft: draft,
            resolveLabel: invites ? "Resolve and invite the customer to update their review" : "Resolve",
            view: viewString, inboxHref: SitePath.inbox.href(query: viewString),
            previousHref: previous.map { href($0, viewString) }, nextHref: next.map { href($0, viewString) }, position: position,
            seen: String(messages.map(\.createdAt.timeIntervalSince1970).max() ?? 0),
            viewers: activity.viewers.isEmpty ? nil : activity.viewers.joined(separator: ", "), hasViewers: !activity.viewers.isEmpty,
            stale: stale, notice: notice, me: ctx.staff.email,
            handoffs: staff.filter { $0.id != ctx.staffID }.prefix(6).map {
                Option(value: $0.email, label: $0.name, selected: $0.id == c.assigneeID)
            },
            mergedInto: c.mergedIntoID.map { SitePath.conversation.href($0) },
            bounce: try await MailBounces.current(storeID: ctx.storeID, email: listedCustomer.email, on: req.db).map(BounceNotice.text))
        return try await DashboardPage.render(req, "app-conversation", title: c.subject, section: "inbox", data, status: status)
    }

    static func href(_ id: UUID, _ view: String) -> String {
        SitePath.conversation.href(id) + "?view=" + view.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// The conversations before and after this one in the view, and "3 of 12"; when this one is not in
    /// the view (any more), "next" is the view's first.
    static func neighbours(of id: UUID, in view: Inbox.View, ctx: StaffContext, now: Date, searches: InboxSearches, on db: any Database) async throws
        -> (UUID?, UUID?, String?)
    {
        let ids = try await Inbox.ids(storeID: ctx.storeID, staffID: ctx.staffID, view: view, now: now, searches: searches, on: db)
        guard let at = ids.firstIndex(of: id) else { return (nil, ids.first, nil) }
        return (at > 0 ? ids[at - 1] : nil, at + 1 < ids.count ? ids[at + 1] : nil, "\(at + 1) of \(ids.count)\(ids.count == 200 ? "+" : "")")
    }

    struct ReplyForm: Content {
        let body: String?
        let `internal`: String?
        /// `send` (stay), `next` (open the view's next conversation), `resolve` (resolve, then next).
        let then: String?
        let view: String?
        let seen: String?
        /// Send even though somebody wrote since the page was loaded (the agent has seen the warning).
        let force: String?
        /// Hand the conversation to this teammate, with the text (if any) as an internal note for them.
        let handoff: String?
    }
    struct AssignForm: Content { let assignee: String? }
    struct PriorityForm: Content { let priority: String? }
    struct TagsForm: Content { let tags: String? }
    struct ResolveForm: Content {
        let note: String?
        let view: String?
    }

    static func reply(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        let form = try req.content.decode(ReplyForm.self)
        let view = InboxViewQuery.from(viewParameter: form.view)
        if let to = form.handoff, !to.isEmpty { return try await handOff(req, ctx: ctx, id: id, to: to, note: form.body ?? "", view: view) }
        let then = form.then ?? "send"
        // "Add as note" beside Send: the same box, never emailed.
        let isNote = form.`internal` == "1" || then == "note"
        guard ["send", "next", "resolve", "note"].contains(then) else { throw CareError.invalid("then", "use send, next, resolve or note") }
        let now = req.care.storage.now()
        // A reply on a stale page: somebody wrote since it was loaded. Show what is new, keep the draft.
        if !isNote, form.force != "1", let raw = form.seen, raw.utf8.count <= 32, let seen = Double(raw), seen.isFinite {
            let activity = try await Collision.activity(
                conversationID: id, storeID: ctx.storeID, staffID: ctx.staffID, since: Date(timeIntervalSince1970: seen), now: now, on: req.db)
            if activity.newMessages > 0 {
                let who = activity.lastBy ?? "Somebody"
                let text =
                    "\(who) wrote since you opened this conversation (\(activity.newMessages) new message\(activity.newMessages == 1 ? "" : "s")). "
                    + "Read them below; your reply is kept and was not sent."
                return try await render(req, id: id, view: view, draft: form.body ?? "", stale: text, status: .conflict)
            }
        }
        let (_, next, _) = try await neighbours(of: id, in: view, ctx: ctx, now: now, searches: req.care.inboxSearches, on: req.db)
        // A reply (and the resolution sent with it) is one action: undoable until its mails are queued.
        let action = isNote ? nil : UndoableAction(now: now, window: req.care.config.undoSeconds, staffID: ctx.staffID)
        _ = try await ConversationService.reply(
            conversationID: id, storeID: ctx.storeID, body: form.body ?? "", isInternal: isNote,
            staffID: ctx.staffID, action: action, storage: req.care.storage, on: req.db)
        if then == "resolve" {
            try await ConversationService.resolve(
                conversationID: id, storeID: ctx.storeID, note: nil, links: req.care.links, action: action, storage: req.care.storage, on: req.db)
        }
        let undo = action.flatMap { $0.held == nil ? nil : $0.id }
        if then == "send" || then == "note" { return DashboardPage.back(req, to: UndoBar.offer(undo, on: href(id, InboxViewQuery.string(view)))) }
        return onward(req, from: id, next: next, view: view, undo: undo)
    }

    /// One press: the text as an internal note for the teammate, and the conversation assigned to them
    /// (they are told); then the view's next conversation.
    static func handOff(_ req: Request, ctx: StaffContext, id: UUID, to: String, note: String, view: Inbox.View) async throws -> Response {
        guard to.utf8.count <= 320 else { throw CareError.invalid("handoff", "choose a teammate") }
        let now = req.care.storage.now()
        let (_, next, _) = try await neighbours(of: id, in: view, ctx: ctx, now: now, searches: req.care.inboxSearches, on: req.db)
        try await ConversationService.handOff(
            conversationID: id, storeID: ctx.storeID, to: to, note: note, by: (ctx.staffID, ctx.staff.name), links: req.care.links,
            storage: req.care.storage, on: req.db)
        return onward(req, from: id, next: next, view: view)
    }

    /// Takes back a reply or resolution whose mail has not gone yet: the reply returns to the box.
    static func undo(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        struct UndoForm: Content { let action: String? }
        guard let raw = try req.content.decode(UndoForm.self).action, raw.utf8.count <= 64, let actionID = UUID(uuidString: raw) else {
            throw CareError.invalid("action", "name the reply or resolution to undo")
        }
        // Only the person who sent it undoes it.
        let undone = try await UndoActions.undo(
            actionID: actionID, conversationID: id, storeID: ctx.storeID, staffID: ctx.staffID, storage: req.care.storage, on: req.db)
        return try await render(req, id: id, view: Inbox.View(), draft: undone.draft, notice: "Undone: nothing was sent to the customer.")
    }

    /// After sending-and-next or resolving: the view's next conversation, or the view itself when none is left.
    static func onward(_ req: Request, from id: UUID, next: UUID?, view: Inbox.View, undo: UUID? = nil) -> Response {
        let viewString = InboxViewQuery.string(view)
        guard let next, next != id else { return DashboardPage.back(req, to: UndoBar.offer(undo, on: SitePath.inbox.href(query: viewString))) }
        return DashboardPage.back(req, to: UndoBar.offer(undo, on: href(next, viewString)))
    }

    static func assign(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        let raw = try req.content.decode(AssignForm.self).assignee ?? ""
        let email = raw == "me" ? ctx.staff.email : raw
        try await ConversationService.assign(
            conversationID: id, storeID: ctx.storeID, to: email.isEmpty ? nil : email, by: (ctx.staffID, ctx.staff.name), links: req.care.links,
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
        let form = try req.content.decode(ResolveForm.self)
        let view = InboxViewQuery.from(viewParameter: form.view)
        let now = req.care.storage.now()
        let (_, next, _) = try await neighbours(of: id, in: view, ctx: ctx, now: now, searches: req.care.inboxSearches, on: req.db)
        let action = UndoableAction(now: now, window: req.care.config.undoSeconds, staffID: ctx.staffID)
        try await ConversationService.resolve(
            conversationID: id, storeID: ctx.storeID, note: form.note, links: req.care.links, action: action, storage: req.care.storage, on: req.db)
        return onward(req, from: id, next: next, view: view, undo: action.held == nil ? nil : action.id)
    }

    struct MergeForm: Content { let from: String? }

    /// Merges another conversation of the same customer into this one.
    static func merge(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        guard let raw = try req.content.decode(MergeForm.self).from, raw.utf8.count <= 64, let from = UUID(uuidString: raw) else {
            throw CareError.invalid("from", "choose the conversation to merge into this one")
        }
        try await ConversationMerge.merge(from, into: id, storeID: ctx.storeID, staffName: ctx.staff.name, storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    /// A photo a customer sent, for this store's staff.
    static func photo(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "photo")
        guard let (type, bytes) = try await MessagePhotos.bytes(id: id, conversationID: nil, storeID: ctx.storeID, on: req.db) else {
            throw CareError.notFound("photo")
        }
        return PhotoResponse.make(type: type, bytes: bytes)
    }

    /// What changed around an open conversation page (polled by its script): teammates viewing, and
    /// messages since the page was loaded. Also keeps this viewer's presence fresh.
    static func activity(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        let since = req.queryText("since").flatMap { $0.utf8.count <= 32 ? Double($0) : nil }.flatMap {
            $0.isFinite ? Date(timeIntervalSince1970: $0) : nil
        }
        guard try await ConversationPageQueries.exists(id: id, storeID: ctx.storeID, on: req.db) else {
            throw CareError.notFound("conversation")
        }
        try await Collision.checkIn(conversationID: id, storeID: ctx.storeID, staffID: ctx.staffID, storage: req.care.storage, on: req.db)
        let a = try await Collision.activity(
            conversationID: id, storeID: ctx.storeID, staffID: ctx.staffID, since: since, now: req.care.storage.now(), on: req.db)
        struct Body: Encodable {
            let viewers: [String]
            let new_messages: Int
            let last_by: String?
        }
        return try JSONBody.response(Body(viewers: a.viewers, new_messages: a.newMessages, last_by: a.lastBy))
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
        DashboardPage.back(req, to: SitePath.conversation.href(id))
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
            href: SitePath.customer.href(customerID), name: customer.name ?? customer.email, email: customer.email,
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
        href = SitePath.reviews.href(query: "review=\(r.id!)")
    }
}

/// How the dashboard shows times, days and stars.
/// What a bounce means for the person about to write: said the same way on the conversation and the profile.
enum BounceNotice {
    static func text(_ b: MailBounces.Bounce) -> String {
        b.permanent
            ? "Email bounced: mail to \(b.email) failed for good on \(Shown.day(b.at)) (\(b.status)\(b.diagnostic.map { ": " + $0 } ?? "")). "
                + "Your reply may not arrive; automatic mail is not sent to this address until the customer answers one of your mails or it is cleared in Settings → Email."
            : "Mail to \(b.email) was delayed on \(Shown.day(b.at)) (\(b.status)\(b.diagnostic.map { ": " + $0 } ?? "")); the receiving server is trying again."
    }
}

enum Shown {
    static func time(_ d: Date) -> String { ISODate.format(d).prefix(16).replacingOccurrences(of: "T", with: " ") + " UTC" }
    /// "2026-11-24 19:05 CET": the time in the store's zone (the page's script shows it in the viewer's).
    static func time(_ d: Date, in zone: TimeZone) -> String {
        guard zone.identifier != "UTC", zone.identifier != "GMT" else { return time(d) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: d)
        let abbreviation = zone.abbreviation(for: d) ?? zone.identifier
        return String(format: "%04d-%02d-%02d %02d:%02d ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0) + abbreviation
    }
    static func day(_ d: Date) -> String { String(ISODate.format(d).prefix(10)) }
    /// "12 345": thousands set apart by a space, whatever the server's locale.
    static func count(_ n: Int) -> String {
        let digits = Array(String(abs(n)))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(" ") }
            out.append(d)
        }
        return (n < 0 ? "-" : "") + out
    }
    /// "★★☆☆☆" for 2 stars.
    static func stars(_ n: Int) -> String { String(repeating: "★", count: n) + String(repeating: "☆", count: max(0, 5 - n)) }
}

enum Money {
    static func format(cents: Int) -> String { String(format: "%d.%02d", cents / 100, abs(cents % 100)) }
}

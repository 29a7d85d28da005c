import CareCore
import Fluent
import Vapor

/// The inbox: conversations in a view (status, whose, search, tag, product, overdue) and an order,
/// each row saying what is happening now: the latest message, who wrote it, how long ago.
enum InboxPageController {
    typealias Tab = DashboardTab

    struct Row {
        let href: String
        let customer: String
        let stars: String?
        let starsLabel: String?
        let firstLine: String
        let customerWroteLast: Bool
        let lastBy: String
        let ago: String
        let exact: String
        let isoTime: String
        let product: String?
        let tags: [String]
        let priority: String
        let urgent: Bool
        let assignee: String
        let due: String
        let overdue: Bool
    }

    struct Data: Encodable {
        let statusTabs: [Tab]
        let whoTabs: [Tab]
        let quickViews: [Tab]
        /// This person's own named views, with their counts.
        let savedViews: [SavedTab]
        let hasSavedViews: Bool
        /// The view shown, for "Save this view".
        let viewParameter: String
        let tags: [Choice]
        let products: [Choice]
        /// The rows, written by `InboxRows`.
        let rowsHTML: String
        let empty: Bool
        let emptyText: String
        let nextPage: String?
        let previousPage: String?
        let search: String
        let status: String
        let who: String
        let sorts: [FormChoice]
        let tag: String?
        let product: String?
        let overdue: Bool
        let shown: String
        /// The first hour's checklist, for owners until it is done or put away.
        let firstRun: FirstRunCard?
    }

    struct SavedTab: Encodable {
        let id: String
        let label: String
        let href: String
        let count: String
        let current: Bool
    }

    typealias Choice = FormChoice

    struct SaveViewForm: Content {
        let name: String?
        let view: String?
    }

    /// Keeps the view the person is looking at under a name of their own.
    static func saveView(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(SaveViewForm.self)
        let query = InboxViewQuery.string(InboxViewQuery.from(viewParameter: form.view))
        try await SavedInboxViews.save(
            name: form.name, query: query, storeID: ctx.storeID, staffID: ctx.staffID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.inbox.href(query: query))
    }

    static func deleteView(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "view")
        try await SavedInboxViews.delete(id: id, storeID: ctx.storeID, staffID: ctx.staffID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.inbox.href)
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let view = try InboxViewQuery.parse(req)
        let page = max(1, min(try req.intQuery("page") ?? 1, 10_000))
        let now = req.care.storage.now()
        let result = try await Inbox.page(
            storeID: ctx.storeID, staffID: ctx.staffID, view: view, page: page, now: now, searches: req.care.inboxSearches, on: req.db)
        let zone = try await StoreZone.of(ctx.storeID, on: req.db)
        let link = { (v: Inbox.View, p: Int) in SitePath.inbox.href(query: InboxViewQuery.string(v, page: p)) }
        let viewParameter = InboxViewQuery.string(view)
        func with(_ edit: (inout Inbox.View) -> Void) -> Inbox.View {
            var v = view
            edit(&v)
            return v
        }
        // Ready-made views with their counts (open conversations).
        var overdueView = Inbox.View()
        overdueView.overdue = true
        var unassignedView = Inbox.View()
        unassignedView.who = .unassigned
        var mineView = Inbox.View()
        mineView.who = .mine
        var views: [Tab] = []
        for (label, v) in [("Overdue", overdueView), ("Unassigned", unassignedView), ("Mine", mineView)] {
            let n = try await Inbox.count(storeID: ctx.storeID, staffID: ctx.staffID, view: v, now: now, on: req.db)
            views.append(Tab(label: label, href: link(v, 1), count: Inbox.shown(n), current: v == view))
        }
        // This person's named views, each with its count (a search reuses what it found lately).
        var saved: [SavedTab] = []
        for s in try await SavedInboxViews.list(storeID: ctx.storeID, staffID: ctx.staffID, on: req.db) {
            let v = InboxViewQuery.from(viewParameter: s.query)
            let n = try await Inbox.count(storeID: ctx.storeID, staffID: ctx.staffID, view: v, now: now, searches: req.care.inboxSearches, on: req.db)
            saved.append(SavedTab(id: s.id.uuidString, label: s.name, href: link(v, 1), count: Inbox.shown(n), current: v == view))
        }
        let productName =
            try await view.productID.asyncMap { try await ProductPicker.name(productID: $0, storeID: ctx.storeID, on: req.db) } ?? nil
        let rows = result.rows.map { r in
            let (due, overdue) = TimeLeft.describe(r.slaDueAt, target: r.slaTarget, status: view.status, now: now)
            return Row(
                href: SitePath.conversation.href(r.conversationID) + "?view=" + viewParameter.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics)!,
                customer: r.customerName ?? r.customerEmail,
                stars: r.stars.map { Shown.stars($0) },
                starsLabel: r.stars.map { "\($0) out of 5 stars" }, firstLine: r.firstLine,
                customerWroteLast: r.lastAuthor == "customer",
                lastBy: r.lastAuthor == "customer"
                    ? "Customer replied" : r.lastAuthor == "staff" ? "We answered" : r.lastAuthor == "trigger" ? "Their review" : "New",
                ago: Ago.text(r.lastActivity, now: now), exact: Shown.time(r.lastActivity, in: zone), isoTime: ISODate.format(r.lastActivity),
                product: r.productName, tags: r.tags, priority: r.priority, urgent: r.priority == "urgent" || r.priority == "high",
                assignee: r.assigneeName ?? "Unassigned", due: due, overdue: overdue)
        }
        let data = Data(
            statusTabs: ConversationStatus.allCases.map { s in
                Tab(
                    label: s.rawValue.capitalized, href: link(with { $0.status = s }, 1), count: String(result.counts[s.rawValue] ?? 0),
                    current: s == view.status)
            },
            whoTabs: Inbox.Who.allCases.map { w in
                Tab(label: w.rawValue.capitalized, href: link(with { $0.who = w }, 1), count: "0", current: w == view.who)
            },
            quickViews: views,
            savedViews: saved, hasSavedViews: !saved.isEmpty, viewParameter: viewParameter,
            tags: [Choice(value: "", label: "Any tag", selected: view.tag == nil)]
                + (try await SavedInboxViews.tagsInUse(storeID: ctx.storeID, on: req.db)).map {
                    Choice(value: $0, label: $0, selected: $0 == view.tag)
                },
            products: [Choice(value: "", label: "Any product", selected: view.productID == nil)]
                + (try await ProductPicker.byName(storeID: ctx.storeID, on: req.db)).map {
                    Choice(value: $0.id.uuidString, label: $0.name, selected: $0.id == view.productID)
                },
            rowsHTML: InboxRows.html(rows), empty: result.rows.isEmpty,
            emptyText: view.search != nil || view.tag != nil || view.productID != nil || view.overdue
                ? "No conversation matches this view." : "Nothing here. Every conversation in this view is taken care of.",
            nextPage: page * Inbox.pageSize < result.total ? link(view, page + 1) : nil,
            previousPage: page > 1 ? link(view, page - 1) : nil,
            search: view.search ?? "", status: view.status.rawValue, who: view.who.rawValue,
            sorts: [("sla", "Reply due soonest"), ("newest", "Latest activity"), ("oldest", "Waiting longest")].map {
                FormChoice(value: $0.0, label: $0.1, selected: $0.0 == view.sort.rawValue)
            },
            tag: view.tag, product: productName, overdue: view.overdue,
            shown: "\(result.total) \(view.status.rawValue)",
            firstRun: try await FirstRunCard.load(req))
        return try await DashboardPage.render(req, "app-inbox", title: "Inbox", section: "inbox", data)
    }
}

/// "First reply due in 2 h 5 min", "next reply overdue by 12 min", "waiting for the customer": the
/// reply target as a person reads it. Only a reply the store owes has a clock.
enum TimeLeft {
    static func describe(_ due: Date?, target: String?, status: ConversationStatus, now: Date) -> (String, Bool) {
        switch status {
        case .resolved: return ("resolved", false)
        case .waiting: return ("waiting for the customer", false)
        case .open: break
        }
        guard let due else { return ("no reply target", false) }
        let which = target == "next" ? "next reply" : "first reply"
        let seconds = due.timeIntervalSince(now)
        let text = span(abs(seconds))
        return seconds >= 0 ? ("\(which) due in \(text)", false) : ("\(which) overdue by \(text)", true)
    }

    static func span(_ s: TimeInterval) -> String {
        let minutes = Int(s / 60)
        if minutes < 60 { return "\(max(minutes, 0)) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / 1440) days"
    }
}

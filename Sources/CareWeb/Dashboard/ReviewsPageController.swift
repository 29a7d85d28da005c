import CareCore
import Fluent
import Vapor

/// Every review, with filters; publishing and rejecting with a recorded reason (who and when), the
/// public reply, and the conversation a review opened. Stars are never editable here.
enum ReviewsPageController {
    struct Item: Encodable {
        let id: String
        let stars: String
        let rating: Int
        let title: String?
        let body: String?
        let product: String
        let customer: String
        let customerHref: String?
        let status: String
        let pending: Bool
        let rejected: Bool
        let statusReason: String?
        let moderated: String?
        let verified: Bool
        let when: String
        let reply: String?
        let conversationHref: String?
        let edits: Int
        /// For a held review: the day it publishes itself unless a person decides first.
        let publishesOn: String?
    }

    typealias Tab = DashboardTab

    struct PageLink: Encodable {
        let label: String
        let href: String?
        let current: Bool
    }

    /// The product picker lists this many of the store's products by name.
    static let pickedProducts = 300

    typealias Option = FormChoice

    struct Data: Encodable {
        let tabs: [Tab]
        let items: [Item]
        let showing: String
        let stars: [Option]
        let statuses: [Option]
        let verified: [Option]
        let product: String
        let from: String
        let to: String
        let nextPage: String?
        let previousPage: String?
        /// Numbered pages around this one, with the first and the last.
        let pages: [PageLink]
        let search: String
        let sorts: [Option]
        let products: [Option]
        /// This page, for the bulk form to come back to.
        let back: String
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        var filter = ReviewQueries.StoreFilter()
        filter.status = try req.enumQuery("status", as: ReviewStatus.self)
        filter.rating = try req.intQuery("stars").map { n throws(CareError) in try Rating(n) }
        let product = (req.queryText("product") ?? "").trimmingCharacters(in: .whitespaces)
        if !product.isEmpty { filter.productExternalID = String(product.prefix(200)) }
        let verified = req.queryText("verified") ?? ""
        if verified == "yes" { filter.verified = true } else if verified == "no" { filter.verified = false }
        let from = req.queryText("from") ?? ""
        let to = req.queryText("to") ?? ""
        filter.from = try day(from, field: "from")
        filter.to = try day(to, field: "to").map { $0.addingTimeInterval(86_400) }
        filter.search = try SearchWords.checked(req.queryText("q"), max: ReviewQueries.maxSearch)
        let search = filter.search ?? ""
        filter.sort = try req.enumQuery("sort", as: ReviewQueries.Sort.self) ?? .newest
        if let raw = req.queryText("review"), !raw.isEmpty {
            guard let id = UUID(uuidString: raw) else { throw CareError.notFound("review") }
            filter.reviewID = id
        }
        let page = try ReviewQueries.Page(number: try req.intQuery("page"), size: 25)
        let result = try await ReviewQueries.storePage(storeID: ctx.storeID, filter: filter, page: page, on: req.db)
        let total = try await ReviewQueries.storeCount(storeID: ctx.storeID, filter: filter, on: req.db)
        let products = try await ProductPicker.byName(storeID: ctx.storeID, limit: pickedProducts, on: req.db)
        let counts = try await ReviewDecisions.counts(storeID: ctx.storeID, on: req.db)
        let tabs = [
            Tab(
                label: "Needs a decision", href: SitePath.reviews.href(query: "status=pending"), count: String(counts.pending),
                current: filter.status == .pending),
            Tab(
                label: "Published", href: SitePath.reviews.href(query: "status=published"), count: String(counts.published),
                current: filter.status == .published),
            Tab(
                label: "Rejected", href: SitePath.reviews.href(query: "status=rejected"), count: String(counts.rejected),
                current: filter.status == .rejected),
            Tab(label: "All", href: SitePath.reviews.href, count: String(counts.all), current: filter.status == nil),
        ]
        let ids = result.reviews.map(\.review.id)
        let (conversations, edits) = try await ReviewQueries.conversationsAndEdits(reviewIDs: ids, storeID: ctx.storeID, on: req.db)
        let status = filter.status?.rawValue ?? ""
        var query = req.url.query.map { "?" + $0 } ?? "?"
        query = query.replacingOccurrences(of: #"&?page=\d+"#, with: "", options: .regularExpression)
        let pageLink = { (n: Int) in "\(SitePath.reviews.href)\(query)\(query.count > 1 ? "&" : "")page=\(n)" }
        // Times in the store's zone, as the conversations show them.
        let zone = try await StoreZone.of(ctx.storeID, on: req.db)
        let data = Data(
            tabs: tabs,
            items: result.reviews.map { l in
                let r = l.review
                return Item(
                    id: r.id.uuidString, stars: Shown.stars(r.rating),
                    rating: r.rating, title: r.title, body: r.body, product: l.product?.name ?? "—",
                    customer: l.customer.map { $0.name ?? $0.email } ?? r.authorName, customerHref: l.customer.map { SitePath.customer.href($0.id) },
                    status: r.status.rawValue, pending: r.status == .pending, rejected: r.status == .rejected, statusReason: r.statusReason,
                    moderated: r.moderatedBy.map { by in "\(by), \(r.moderatedAt.map { Shown.time($0, in: zone) } ?? "")" }, verified: r.verified,
                    when: Shown.time(r.createdAt, in: zone), reply: l.reply?.body,
                    conversationHref: conversations.first { $0.reviewID == r.id }.map { SitePath.conversation.href($0.id!) },
                    edits: edits.filter { $0.reviewID == r.id }.count,
                    publishesOn: r.status == .pending ? r.publishAfter.map(Shown.day) : nil)
            },
            showing: result.reviews.isEmpty
                ? "No reviews match."
                : "Reviews \(page.offset + 1)–\(page.offset + result.reviews.count) of \(shownTotal(total)).",
            stars: [Option(value: "", label: "Any stars", selected: filter.rating == nil)]
                + (1...5).reversed().map { (n: Int) in Option(value: "\(n)", label: "\(n)★", selected: filter.rating?.stars == n) },
            statuses: [Option(value: "", label: "Any status", selected: status.isEmpty)]
                + ReviewStatus.allCases.map { Option(value: $0.rawValue, label: $0.rawValue.capitalized, selected: $0.rawValue == status) },
            verified: [
                Option(value: "", label: "Verified or not", selected: verified.isEmpty),
                Option(value: "yes", label: "Verified", selected: verified == "yes"),
                Option(value: "no", label: "Not verified", selected: verified == "no"),
            ],
            product: product, from: from, to: to,
            nextPage: result.hasMore ? pageLink(page.number + 1) : nil,
            previousPage: page.number > 1 ? pageLink(page.number - 1) : nil,
            pages: numbered(current: page.number, total: total, size: page.size, link: pageLink),
            search: search,
            sorts: [("newest", "Newest first"), ("oldest", "Oldest first"), ("lowest", "Fewest stars first"), ("highest", "Most stars first")].map {
                Option(value: $0.0, label: $0.1, selected: $0.0 == filter.sort.rawValue)
            },
            products: [Option(value: "", label: "Any product", selected: product.isEmpty)]
                + products.map { Option(value: $0.externalID, label: $0.name, selected: $0.externalID == product) }
                + (product.isEmpty || products.contains { $0.externalID == product } ? [] : [Option(value: product, label: product, selected: true)]),
            back: SitePath.reviews.href + (req.url.query.map { "?" + $0 } ?? ""))
        return try await DashboardPage.render(req, "app-reviews", title: "Reviews", section: "reviews", data)
    }

    /// "1 234", or "10 000+" past what is counted.
    static func shownTotal(_ n: Int) -> String {
        n > ReviewQueries.countedAtMost ? "\(Shown.count(ReviewQueries.countedAtMost))+" : Shown.count(n)
    }

    /// Page links: the first, two either side of the current one, the last; gaps shown as "…".
    static func numbered(current: Int, total: Int, size: Int, link: (Int) -> String) -> [PageLink] {
        let last = max(1, (min(total, ReviewQueries.countedAtMost) + size - 1) / size)
        guard last > 1 else { return [] }
        var out: [PageLink] = []
        var previous = 0
        let here = min(max(current, 1), last + 1)
        for n in 1...last where n == 1 || n == last || abs(n - here) <= 2 {
            if n > previous + 1 { out.append(PageLink(label: "…", href: nil, current: false)) }
            out.append(PageLink(label: String(n), href: n == current ? nil : link(n), current: n == current))
            previous = n
        }
        return out
    }

    /// `2026-05-01` as the start of that day (UTC); empty is no bound.
    static func day(_ raw: String, field: String) throws -> Date? {
        guard !raw.isEmpty else { return nil }
        guard raw.count == 10, let d = try? Date("\(raw)T00:00:00Z", strategy: .iso8601) else {
            throw CareError.invalid(field, "use a date such as 2026-05-01")
        }
        return d
    }

    struct ReasonForm: Content { let reason: String? }
    struct ReplyForm: Content { let body: String? }

    static func publish(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        _ = try await ReviewModeration.publish(reviewID: id, storeID: ctx.storeID, by: ctx.staff.email, storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    static func reject(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        _ = try await ReviewModeration.reject(
            reviewID: id, storeID: ctx.storeID, reason: try req.content.decode(ReasonForm.self).reason ?? "",
            by: ctx.staff.email, storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    struct BulkForm: Content {
        let ids: [String]?
        let decision: String?
        let reason: String?
        let back: String?
    }

    /// Publish or reject the reviews ticked on the page, all at once; a rejection's reason is kept on each.
    static func bulk(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(BulkForm.self)
        guard let decision = form.decision.flatMap(ReviewDecisions.Decision.init(rawValue:)) else {
            throw CareError.invalid("decision", "choose publish or reject")
        }
        let raw = form.ids ?? []
        guard raw.count <= ReviewDecisions.maxSelected else {
            throw CareError.invalid("ids", "select at most \(ReviewDecisions.maxSelected) reviews at once")
        }
        let ids = try raw.map { s throws(CareError) in
            guard let id = UUID(uuidString: s) else { throw CareError.invalid("ids", "not a review id: \(s.prefix(40))") }
            return id
        }
        let n = try await ReviewDecisions.decide(
            decision, reviewIDs: ids, reason: form.reason, storeID: ctx.storeID, by: ctx.staff.email, storage: req.care.storage, on: req.db)
        let back =
            form.back.flatMap {
                ($0 == SitePath.reviews.href || $0.hasPrefix(SitePath.reviews.href + "?")) && DashboardPage.isPlainPath($0) ? $0 : nil
            }
            ?? SitePath.reviews.href
        _ = n
        return DashboardPage.back(req, to: back)
    }

    static func reply(_ req: Request) async throws -> Response {
        let (ctx, id) = try target(req)
        _ = try await ReviewReplies.reply(
            reviewID: id, storeID: ctx.storeID, body: try req.content.decode(ReplyForm.self).body ?? "",
            storage: req.care.storage, on: req.db)
        return back(req, id)
    }

    private static func target(_ req: Request) throws -> (StaffContext, UUID) {
        (try req.staff, try req.uuidParameter("id", what: "review"))
    }

    private static func back(_ req: Request, _ id: UUID) -> Response {
        DashboardPage.back(req, to: SitePath.reviews.href(query: "review=\(id)"))
    }
}

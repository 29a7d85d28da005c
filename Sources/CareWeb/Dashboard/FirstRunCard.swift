import CareCore
import NIOConcurrencyHelpers
import Vapor

/// The first hour, on the inbox: five steps with what each needs right beside it (the widget snippet
/// with the store's slug in it, a button for each test mail), each ticked from what happened.
struct FirstRunCard: Encodable {
    struct Step: Encodable {
        let id: String
        let title: String
        let done: Bool
    }
    let steps: [Step]
    let done: Int
    let snippet: String
    let notice: String?

    static func load(_ req: Request) async throws -> FirstRunCard? {
        let ctx = try req.staff
        guard ctx.isOwner else { return nil }
        let s = try await FirstRun.steps(storeID: ctx.storeID, on: req.db)
        guard s.showing else { return nil }
        return FirstRunCard(
            steps: [
                Step(id: "orders", title: "Bring your orders in", done: s.ordersIn),
                Step(id: "widget", title: "Show reviews on your shop", done: s.widgetSeen),
                Step(id: "request", title: "Send yourself a test review request", done: s.testRequest),
                Step(id: "care", title: "Send yourself a test care message", done: s.testCare),
                Step(id: "team", title: "Invite your team", done: s.teamInvited),
            ],
            done: s.done, snippet: WidgetSnippet.html(publicURL: req.care.links.publicURL, slug: ctx.store.slug),
            notice: req.queryText("sent").flatMap {
                $0 == "request" || $0 == "care" ? "The test email is on its way to \(ctx.staff.email)." : nil
            })
    }

    static func sendRequest(_ req: Request) async throws -> Response { try await send(.request, req) }
    static func sendCare(_ req: Request) async throws -> Response { try await send(.care, req) }

    private static func send(_ kind: OutboxPayload.SampleKind, _ req: Request) async throws -> Response {
        let ctx = try req.staff
        try await FirstRun.sendSample(kind, to: ctx.staff.email, name: ctx.staff.name, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.inbox.href(query: "sent=\(kind.rawValue)"))
    }

    static func dismiss(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        try await FirstRun.reach(.dismissed, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.inbox.href)
    }
}

/// The tags a shop pastes into its product page template to show its reviews.
enum WidgetSnippet {
    static func html(publicURL: String, slug: String, product: String = "PRODUCT_ID") -> String {
        """
        <link rel="stylesheet" href="\(publicURL)/widget.css">
        <div data-careloop-reviews="\(product)"></div>
        <script src="\(publicURL)/widget.js" data-store="\(slug)" async></script>
        """
    }
}

/// Notes the first time a store's reviews are read from another site (its widget is on its shop),
/// once a process: the checklist's "Show reviews on your shop" ticks itself.
final class WidgetSightings: Sendable {
    private let seen = NIOLockedValueBox<Set<UUID>>([])

    func note(_ req: Request, storeID: UUID) async {
        // Another site by scheme, host and port (anyone can send an Origin header: a sighting only ticks
        // a step of a checklist, nothing more).
        guard let origin = req.headers.first(name: .origin), origin.utf8.count <= 300, origin != "null",
            let theirs = URLComponents(string: origin), let ours = URLComponents(string: req.care.links.publicURL),
            theirs.scheme != nil, theirs.host != nil,
            (theirs.scheme?.lowercased(), theirs.host?.lowercased(), theirs.port) != (ours.scheme?.lowercased(), ours.host?.lowercased(), ours.port)
        else { return }
        guard seen.withLockedValue({ $0.insert(storeID).inserted }) else { return }
        do {
            try await FirstRun.reach(.widgetSeen, storeID: storeID, storage: req.care.storage, on: req.db)
        } catch {
            seen.withLockedValue { _ = $0.remove(storeID) }
        }
    }
}

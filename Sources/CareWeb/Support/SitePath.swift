import Leaf
import Vapor

/// One page or form of the dashboard, spelled once: `dashboardRoutes` registers the route from it,
/// Swift builds links with `href`, and templates with `#link("name")` / `#link("name", id)`. A
/// renamed path changes here and nowhere else; `SitePathTests` checks that every registered route is
/// one of these and that every `#link` in the templates names one, with the right arguments.
struct SitePath: Sendable, Hashable {
    /// How templates name it (`#link("conversation.reply", data.id)`).
    let name: String
    /// Below `/app`; at most one is a parameter (`:id`, `:token`, …).
    let parts: [String]

    init(_ name: String, _ parts: String...) {
        self.name = name
        self.parts = parts
    }

    var takesParameter: Bool { parts.contains { $0.hasPrefix(":") } }

    /// What `app.grouped("app")` registers.
    var route: [PathComponent] { parts.map { PathComponent(stringLiteral: $0) } }

    /// The link to a path without a parameter.
    var href: String { Self.root + parts.map { "/" + $0 }.joined() }

    /// The link to one item's path (its id or token, percent-encoded as a path segment).
    func href(_ value: some CustomStringConvertible) -> String {
        let segment = Self.segment(value.description)
        var out = Self.root
        for part in parts {
            out += "/"
            out += part.hasPrefix(":") ? segment : part
        }
        return out
    }

    /// The link with a query (already encoded) and an anchor on the page.
    func href(query: String? = nil, anchor: String? = nil) -> String {
        href + (query.map { "?" + $0 } ?? "") + (anchor.map { "#" + $0 } ?? "")
    }

    static let root = "/" + rootRoute.description
    static let rootRoute: PathComponent = "app"

    /// `text` as one path segment: every byte but RFC 3986's unreserved ones percent-encoded, and
    /// "." and ".." encoded too (they would be read as path steps, not as a value). Ids and tokens
    /// are unreserved already and come back as they are (encoding them cost an inbox page 2 %).
    static func segment(_ text: String) -> String {
        if text == "." || text == ".." { return String(repeating: "%2E", count: text.utf8.count) }
        if text.utf8.allSatisfy(isUnreserved) { return text }
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// RFC 3986's unreserved characters, ASCII only (Foundation's `alphanumerics` holds every script's letters).
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
    }
}

extension SitePath {
    static let home = SitePath("home")
    static let asset = SitePath("asset", "assets", ":file")
    static let login = SitePath("login", "login")
    static let logout = SitePath("logout", "logout")
    static let passwordForgot = SitePath("password.forgot", "password", "forgot")
    static let password = SitePath("password", "password", ":token")
    static let notificationsStop = SitePath("notifications.stop", "notifications", "stop", ":token")
    static let notifications = SitePath("notifications", "notifications")
    static let notificationsMail = SitePath("notifications.mail", "notifications", "mail")

    static let inbox = SitePath("inbox", "inbox")
    static let inboxViews = SitePath("inbox.views", "inbox", "views")
    static let inboxViewDelete = SitePath("inbox.view.delete", "inbox", "views", ":id", "delete")
    static let conversation = SitePath("conversation", "conversations", ":id")
    static let conversationReply = SitePath("conversation.reply", "conversations", ":id", "reply")
    static let conversationAssign = SitePath("conversation.assign", "conversations", ":id", "assign")
    static let conversationPriority = SitePath("conversation.priority", "conversations", ":id", "priority")
    static let conversationTags = SitePath("conversation.tags", "conversations", ":id", "tags")
    static let conversationResolve = SitePath("conversation.resolve", "conversations", ":id", "resolve")
    static let conversationReopen = SitePath("conversation.reopen", "conversations", ":id", "reopen")
    static let conversationActivity = SitePath("conversation.activity", "conversations", ":id", "activity")
    static let conversationMerge = SitePath("conversation.merge", "conversations", ":id", "merge")
    static let conversationUndo = SitePath("conversation.undo", "conversations", ":id", "undo")
    static let photo = SitePath("photo", "photos", ":id")

    static let customers = SitePath("customers", "customers")
    static let customer = SitePath("customer", "customers", ":id")
    static let customerNotes = SitePath("customer.notes", "customers", ":id", "notes")
    static let customerExport = SitePath("customer.export", "customers", ":id", "export")
    static let customerErase = SitePath("customer.erase", "customers", ":id", "erase")

    static let reviews = SitePath("reviews", "reviews")
    static let reviewsBulk = SitePath("reviews.bulk", "reviews", "bulk")
    static let reviewPublish = SitePath("review.publish", "reviews", ":id", "publish")
    static let reviewReject = SitePath("review.reject", "reviews", ":id", "reject")
    static let reviewReply = SitePath("review.reply", "reviews", ":id", "reply")

    static let insights = SitePath("insights", "insights")
    static let insightsChart = SitePath("insights.chart", "insights", ":chart")

    static let triggers = SitePath("triggers", "triggers")
    static let triggerNew = SitePath("trigger.new", "triggers", "new")
    static let triggersImport = SitePath("triggers.import", "triggers", "import")
    static let triggersPreview = SitePath("triggers.preview", "triggers", "preview")
    static let trigger = SitePath("trigger", "triggers", ":id")
    static let triggerJSON = SitePath("trigger.json", "triggers", ":id", "json")
    static let triggerEnabled = SitePath("trigger.enabled", "triggers", ":id", "enabled")
    static let triggerDelete = SitePath("trigger.delete", "triggers", ":id", "delete")
    static let triggerExport = SitePath("trigger.export", "triggers", ":id", "export")

    static let firstRunTestRequest = SitePath("first-run.test-request", "first-run", "test-request")
    static let firstRunTestCare = SitePath("first-run.test-care", "first-run", "test-care")
    static let firstRunDismiss = SitePath("first-run.dismiss", "first-run", "dismiss")

    static let settings = SitePath("settings", "settings")
    static let widgetPreview = SitePath("settings.widget-preview", "settings", "widget-preview")
    static let settingsCare = SitePath("settings.care", "settings", "care")
    static let settingsRequests = SitePath("settings.requests", "settings", "requests")
    static let settingsReplies = SitePath("settings.replies", "settings", "replies")
    static let logo = SitePath("settings.logo", "settings", "logo")
    static let settingsBrand = SitePath("settings.brand", "settings", "brand")
    static let settingsProfile = SitePath("settings.profile", "settings", "profile")
    static let testMail = SitePath("settings.test-mail", "settings", "test-mail")
    static let settingsSender = SitePath("settings.sender", "settings", "sender")
    static let suppressionsClear = SitePath("settings.suppressions.clear", "settings", "suppressions", "clear")
    static let connections = SitePath("connections", "settings", "connections")
    static let connectionPause = SitePath("connection.pause", "settings", "connections", ":id", "pause")
    static let connectionDelete = SitePath("connection.delete", "settings", "connections", ":id", "delete")
    static let team = SitePath("settings.team", "settings", "team")
    static let savedReplies = SitePath("saved-replies", "settings", "saved-replies")
    static let savedReply = SitePath("saved-reply", "settings", "saved-replies", ":id")
    static let savedReplyDelete = SitePath("saved-reply.delete", "settings", "saved-replies", ":id", "delete")
    static let keys = SitePath("keys", "settings", "keys")
    static let keyRevoke = SitePath("key.revoke", "settings", "keys", ":id", "revoke")
    static let webhooks = SitePath("webhooks", "settings", "webhooks")
    static let webhookTest = SitePath("webhook.test", "settings", "webhooks", ":id", "test")
    static let webhookDelete = SitePath("webhook.delete", "settings", "webhooks", ":id", "delete")
    static let deliveryRetry = SitePath("delivery.retry", "settings", "deliveries", ":id", "retry")

    /// Every path, for templates (by name) and for the test that keeps this list whole.
    static let all: [SitePath] = [
        home, asset, login, logout, passwordForgot, password, notificationsStop, notifications, notificationsMail,
        inbox, inboxViews, inboxViewDelete, conversation, conversationReply, conversationAssign, conversationPriority,
        conversationTags, conversationResolve, conversationReopen, conversationActivity, conversationMerge, conversationUndo, photo,
        customers, customer, customerNotes, customerExport, customerErase,
        reviews, reviewsBulk, reviewPublish, reviewReject, reviewReply, insights, insightsChart,
        triggers, triggerNew, triggersImport, triggersPreview, trigger, triggerJSON, triggerEnabled, triggerDelete, triggerExport,
        firstRunTestRequest, firstRunTestCare, firstRunDismiss,
        settings, widgetPreview, settingsCare, settingsRequests, settingsReplies, logo, settingsBrand, settingsProfile, testMail,
        settingsSender, suppressionsClear, connections, connectionPause, connectionDelete, team, savedReplies, savedReply,
        savedReplyDelete, keys, keyRevoke, webhooks, webhookTest, webhookDelete, deliveryRetry,
    ]

    static let byName: [String: SitePath] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
}

/// `#link("name")` and `#link("name", value)` in templates: the same paths, by name. An unknown
/// name or a missing value fails the render (and `SitePathTests` finds it before anyone does).
struct SiteLinkTag: LeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        guard let name = ctx.parameters.first?.string, let path = SitePath.byName[name] else {
            throw Abort(.internalServerError, reason: "#link needs the name of a SitePath, got \(ctx.parameters.first?.description ?? "nothing")")
        }
        switch (path.takesParameter, ctx.parameters.count) {
        case (false, 1): return .string(path.href)
        case (true, 2):
            // A value the page did not have (a misspelt variable is nil in Leaf) fails the render, not the link.
            guard let value = ctx.parameters[1].string, !value.isEmpty else {
                throw Abort(.internalServerError, reason: "#link(\"\(name)\") was given no value")
            }
            return .string(path.href(value))
        default: throw Abort(.internalServerError, reason: "#link(\"\(name)\") takes \(path.takesParameter ? "one value" : "no value")")
        }
    }
}

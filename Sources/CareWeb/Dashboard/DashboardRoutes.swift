import CareCore
import Vapor

/// The staff dashboard under /app: sign-in pages open, everything else behind a session, every
/// form post checked for its CSRF token, settings and triggers for owners only.
func dashboardRoutes(_ app: Application) throws {
    let pages = app.grouped("app").grouped(DashboardErrorMiddleware())
    pages.get("assets", ":file", use: DashboardAssets.serve)
    pages.get("login", use: SignInController.show)
    pages.post("login", use: SignInController.signIn)
    pages.get("password", "forgot", use: PasswordPageController.forgot)
    pages.post("password", "forgot", use: PasswordPageController.requestLink)
    pages.get("password", ":token", use: PasswordPageController.show)
    pages.post("password", ":token", use: PasswordPageController.set)
    // Signed links from notification mails: they work without a session.
    pages.get("notifications", "stop", ":token", use: NotificationsPage.stopPage)
    pages.post("notifications", "stop", ":token", use: NotificationsPage.stop)

    let staff = pages.grouped(StaffSessionAuth(), CSRFCheck(), AuditTrail())
    staff.get { req in req.redirect(to: "/app/inbox") }
    staff.post("logout", use: SignInController.signOut)
    staff.get("inbox", use: InboxPageController.show)

    staff.get("conversations", ":id", use: ConversationPageController.show)
    staff.post("conversations", ":id", "reply", use: ConversationPageController.reply)
    staff.post("conversations", ":id", "assign", use: ConversationPageController.assign)
    staff.post("conversations", ":id", "priority", use: ConversationPageController.priority)
    staff.post("conversations", ":id", "tags", use: ConversationPageController.tags)
    staff.post("conversations", ":id", "resolve", use: ConversationPageController.resolve)
    staff.post("conversations", ":id", "reopen", use: ConversationPageController.reopen)
    staff.get("conversations", ":id", "activity", use: ConversationPageController.activity)
    staff.get("photos", ":id", use: ConversationPageController.photo)
    staff.post("inbox", "views", use: InboxPageController.saveView)
    staff.post("inbox", "views", ":id", "delete", use: InboxPageController.deleteView)
    staff.post("conversations", ":id", "merge", use: ConversationPageController.merge)
    staff.post("conversations", ":id", "undo", use: ConversationPageController.undo)
    staff.get("notifications", use: NotificationsPage.show)
    staff.post("notifications", "mail", use: NotificationsPage.updateMail)

    staff.get("customers", use: CustomersPageController.list)
    staff.get("customers", ":id", use: CustomersPageController.show)
    staff.post("customers", ":id", "notes", use: CustomersPageController.addNote)

    staff.get("reviews", use: ReviewsPageController.list)
    staff.post("reviews", "bulk", use: ReviewsPageController.bulk)
    staff.post("reviews", ":id", "publish", use: ReviewsPageController.publish)
    staff.post("reviews", ":id", "reject", use: ReviewsPageController.reject)
    staff.post("reviews", ":id", "reply", use: ReviewsPageController.reply)

    staff.get("insights", use: InsightsPageController.show)
    staff.get("insights", ":chart", use: InsightsPageController.csv)

    let owner = staff.grouped(OwnerOnly())
    owner.get("triggers", use: TriggersPageController.list)
    owner.get("triggers", "new", use: TriggersPageController.new)
    owner.post("triggers", use: TriggersPageController.create)
    owner.post("triggers", "import", use: TriggersPageController.importJSON)
    owner.post("triggers", "preview", use: TriggersPageController.preview)
    owner.get("triggers", ":id", use: TriggersPageController.edit)
    owner.post("triggers", ":id", use: TriggersPageController.update)
    owner.post("triggers", ":id", "json", use: TriggersPageController.updateJSON)
    owner.post("triggers", ":id", "enabled", use: TriggersPageController.setEnabled)
    owner.post("triggers", ":id", "delete", use: TriggersPageController.delete)
    owner.get("triggers", ":id", "export", use: TriggersPageController.export)

    owner.get("customers", ":id", "export", use: CustomersPageController.export)
    owner.post("customers", ":id", "erase", use: CustomersPageController.erase)

    owner.post("first-run", "test-request", use: FirstRunCard.sendRequest)
    owner.post("first-run", "test-care", use: FirstRunCard.sendCare)
    owner.post("first-run", "dismiss", use: FirstRunCard.dismiss)

    owner.get("settings", use: SettingsPageController.show)
    owner.get("settings", "widget-preview", use: ShowingReviewsPage.preview)
    owner.post("settings", "care", use: SettingsPageController.updateCare)
    owner.post("settings", "requests", use: RequestSettingsPage.update)
    owner.post("settings", "replies", use: ReplyTargetsPage.update)
    owner.get("settings", "logo", use: BrandSettingsPage.logo)
    owner.on(.POST, "settings", "brand", body: .collect(maxSize: "1mb"), use: BrandSettingsPage.update).uploads(maxBytes: 1_048_576)
    owner.post("settings", "profile", use: SettingsPageController.updateProfile)
    owner.post("settings", "test-mail", use: SettingsPageController.testMail)
    owner.post("settings", "sender", use: EmailSettingsPage.updateSender)
    owner.post("settings", "suppressions", "clear", use: EmailSettingsPage.clear)
    owner.get("settings", "connections", use: ConnectionsPage.show)
    owner.post("settings", "connections", use: ConnectionsPage.create)
    owner.post("settings", "connections", ":id", "pause", use: ConnectionsPage.pause)
    owner.post("settings", "connections", ":id", "delete", use: ConnectionsPage.delete)
    owner.post("settings", "team", use: SettingsPageController.invite)
    owner.post("settings", "saved-replies", use: SettingsPageController.addSavedReply)
    owner.post("settings", "saved-replies", ":id", "delete", use: SettingsPageController.deleteSavedReply)
    owner.post("settings", "saved-replies", ":id", use: SettingsPageController.updateSavedReply)
    owner.post("settings", "keys", use: SettingsPageController.createKey)
    owner.post("settings", "keys", ":id", "revoke", use: SettingsPageController.revokeKey)
    owner.post("settings", "webhooks", use: SettingsPageController.addWebhook)
    owner.post("settings", "webhooks", ":id", "test", use: SettingsPageController.testWebhook)
    owner.post("settings", "webhooks", ":id", "delete", use: SettingsPageController.deleteWebhook)
    owner.post("settings", "deliveries", ":id", "retry", use: SettingsPageController.retryDelivery)
}

/// The dashboard's stylesheet and script, read from the CareWeb bundle once.
enum DashboardAssets {
    static let files: [String: (type: String, body: String)] = {
        var out: [String: (String, String)] = [:]
        guard let dir = Bundle.module.resourceURL?.appendingPathComponent("Assets") else { return [:] }
        for (name, type) in [
            ("app.css", "text/css; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8"), ("customer.js", "text/javascript; charset=utf-8"),
        ] {
            if let text = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8) { out[name] = (type, text) }
        }
        return out
    }()

    static func serve(_ req: Request) async throws -> Response {
        guard let name = req.parameters.get("file"), let file = files[name] else { throw CareError.notFound("file") }
        let response = Response(status: .ok, body: .init(string: file.body))
        response.headers.replaceOrAdd(name: .contentType, value: file.type)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }
}

import CareCore
import Vapor

/// The staff dashboard under /app: sign-in pages open, everything else behind a session, every
/// form post checked for its CSRF token, settings and triggers for owners only.
func dashboardRoutes(_ app: Application) throws {
    let pages = app.grouped(SitePath.rootRoute).grouped(PageErrorMiddleware(audience: .staff))
    pages.get(SitePath.asset.route, use: DashboardAssets.serve)
    pages.get(SitePath.login.route, use: SignInController.show)
    pages.post(SitePath.login.route, use: SignInController.signIn)
    pages.get(SitePath.passwordForgot.route, use: PasswordPageController.forgot)
    pages.post(SitePath.passwordForgot.route, use: PasswordPageController.requestLink)
    pages.get(SitePath.password.route, use: PasswordPageController.show)
    pages.post(SitePath.password.route, use: PasswordPageController.set)
    // Signed links from notification mails: they work without a session.
    pages.get(SitePath.notificationsStop.route, use: NotificationsPage.stopPage)
    pages.post(SitePath.notificationsStop.route, use: NotificationsPage.stop)

    let staff = pages.grouped(StaffSessionAuth(), CSRFCheck(), AuditTrail())
    staff.get(SitePath.home.route) { req in req.redirect(to: SitePath.inbox.href) }
    staff.post(SitePath.logout.route, use: SignInController.signOut)
    staff.get(SitePath.inbox.route, use: InboxPageController.show)

    staff.get(SitePath.conversation.route, use: ConversationPageController.show)
    staff.post(SitePath.conversationReply.route, use: ConversationPageController.reply)
    staff.post(SitePath.conversationAssign.route, use: ConversationPageController.assign)
    staff.post(SitePath.conversationPriority.route, use: ConversationPageController.priority)
    staff.post(SitePath.conversationTags.route, use: ConversationPageController.tags)
    staff.post(SitePath.conversationResolve.route, use: ConversationPageController.resolve)
    staff.post(SitePath.conversationReopen.route, use: ConversationPageController.reopen)
    staff.get(SitePath.conversationActivity.route, use: ConversationPageController.activity)
    staff.get(SitePath.photo.route, use: ConversationPageController.photo)
    staff.post(SitePath.inboxViews.route, use: InboxPageController.saveView)
    staff.post(SitePath.inboxViewDelete.route, use: InboxPageController.deleteView)
    staff.post(SitePath.conversationMerge.route, use: ConversationPageController.merge)
    staff.post(SitePath.conversationUndo.route, use: ConversationPageController.undo)
    staff.get(SitePath.notifications.route, use: NotificationsPage.show)
    staff.post(SitePath.notificationsMail.route, use: NotificationsPage.updateMail)

    staff.get(SitePath.customers.route, use: CustomersPageController.list)
    staff.get(SitePath.customer.route, use: CustomersPageController.show)
    staff.post(SitePath.customerNotes.route, use: CustomersPageController.addNote)

    staff.get(SitePath.reviews.route, use: ReviewsPageController.list)
    staff.post(SitePath.reviewsBulk.route, use: ReviewsPageController.bulk)
    staff.post(SitePath.reviewPublish.route, use: ReviewsPageController.publish)
    staff.post(SitePath.reviewReject.route, use: ReviewsPageController.reject)
    staff.post(SitePath.reviewReply.route, use: ReviewsPageController.reply)

    staff.get(SitePath.insights.route, use: InsightsPageController.show)
    staff.get(SitePath.insightsChart.route, use: InsightsPageController.csv)

    let owner = staff.grouped(OwnerOnly())
    owner.get(SitePath.triggers.route, use: TriggersPageController.list)
    owner.get(SitePath.triggerNew.route, use: TriggersPageController.new)
    owner.post(SitePath.triggers.route, use: TriggersPageController.create)
    owner.post(SitePath.triggersImport.route, use: TriggersPageController.importJSON)
    owner.post(SitePath.triggersPreview.route, use: TriggersPageController.preview)
    owner.get(SitePath.trigger.route, use: TriggersPageController.edit)
    owner.post(SitePath.trigger.route, use: TriggersPageController.update)
    owner.post(SitePath.triggerJSON.route, use: TriggersPageController.updateJSON)
    owner.post(SitePath.triggerEnabled.route, use: TriggersPageController.setEnabled)
    owner.post(SitePath.triggerDelete.route, use: TriggersPageController.delete)
    owner.get(SitePath.triggerExport.route, use: TriggersPageController.export)

    owner.get(SitePath.customerExport.route, use: CustomersPageController.export)
    owner.post(SitePath.customerErase.route, use: CustomersPageController.erase)

    owner.post(SitePath.firstRunTestRequest.route, use: FirstRunCard.sendRequest)
    owner.post(SitePath.firstRunTestCare.route, use: FirstRunCard.sendCare)
    owner.post(SitePath.firstRunDismiss.route, use: FirstRunCard.dismiss)

    owner.get(SitePath.settings.route, use: SettingsPageController.show)
    owner.get(SitePath.widgetPreview.route, use: ShowingReviewsPage.preview)
    owner.post(SitePath.settingsCare.route, use: SettingsPageController.updateCare)
    owner.post(SitePath.settingsRequests.route, use: RequestSettingsPage.update)
    owner.post(SitePath.settingsReplies.route, use: ReplyTargetsPage.update)
    owner.get(SitePath.logo.route, use: BrandSettingsPage.logo)
    owner.on(.POST, SitePath.settingsBrand.route, body: .collect(maxSize: "1mb"), use: BrandSettingsPage.update).uploads(maxBytes: 1_048_576)
    owner.post(SitePath.settingsProfile.route, use: SettingsPageController.updateProfile)
    owner.post(SitePath.testMail.route, use: SettingsPageController.testMail)
    owner.post(SitePath.settingsSender.route, use: EmailSettingsPage.updateSender)
    owner.post(SitePath.suppressionsClear.route, use: EmailSettingsPage.clear)
    owner.get(SitePath.connections.route, use: ConnectionsPage.show)
    owner.post(SitePath.connections.route, use: ConnectionsPage.create)
    owner.post(SitePath.connectionPause.route, use: ConnectionsPage.pause)
    owner.post(SitePath.connectionDelete.route, use: ConnectionsPage.delete)
    owner.post(SitePath.team.route, use: SettingsPageController.invite)
    owner.post(SitePath.savedReplies.route, use: SettingsPageController.addSavedReply)
    owner.post(SitePath.savedReplyDelete.route, use: SettingsPageController.deleteSavedReply)
    owner.post(SitePath.savedReply.route, use: SettingsPageController.updateSavedReply)
    owner.post(SitePath.keys.route, use: SettingsPageController.createKey)
    owner.post(SitePath.keyRevoke.route, use: SettingsPageController.revokeKey)
    owner.post(SitePath.webhooks.route, use: SettingsPageController.addWebhook)
    owner.post(SitePath.webhookTest.route, use: SettingsPageController.testWebhook)
    owner.post(SitePath.webhookDelete.route, use: SettingsPageController.deleteWebhook)
    owner.post(SitePath.deliveryRetry.route, use: SettingsPageController.retryDelivery)
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

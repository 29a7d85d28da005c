import CareCore
import Fluent
import Vapor

/// The owner's settings: care behaviour, email (with a test mail), the inbound-email secret, API
/// keys (shown once), webhooks with their delivery log, and the team. Agents never get here.
enum SettingsPageController {
    struct Key: Encodable {
        let id: String
        let name: String
        let prefix: String
        let created: String
        let revoked: String?
    }
    struct Hook: Encodable {
        let id: String
        let url: String
        let events: String
    }
    struct Delivery: Encodable {
        let id: String
        let event: String
        let status: String
        let dead: Bool
        let attempts: Int
        let lastError: String?
        let when: String
    }
    struct Member: Encodable {
        let name: String
        let email: String
        let role: String
    }
    struct Saved: Encodable {
        let id: String
        let title: String
        let body: String
        /// Why the last edit of this reply was refused (its typed text is kept in the form).
        var error: String? = nil
    }
    /// A saved reply being written or edited that was refused: what was typed, and why.
    struct SavedDraft: Encodable {
        let id: String?
        let title: String
        let body: String
        let error: String
    }
    struct EventChoice: Encodable { let name: String }

    struct Data: Encodable {
        let storeName: String
        let holdDays: Int
        let inviteReviewUpdate: Bool
        let retentionMonths: String
        let requests: RequestSettingsPage.Context
        let replies: ReplyTargetsPage.Context
        let brand: BrandSettingsPage.Context
        let email: EmailSettingsPage.Context
        let showing: ShowingReviewsPage.Context
        let audit: [AuditRow]
        let keys: [Key]
        let hooks: [Hook]
        let deliveries: [Delivery]
        let events: [EventChoice]
        let team: [Member]
        let savedReplies: [Saved]
        let placeholders: String
        /// A key or secret just made, shown this once.
        let revealed: String?
        let revealedWhat: String?
        let notice: String?
        /// A new saved reply that was refused, kept in its form.
        let savedDraft: SavedDraft?
    }

    static func show(_ req: Request) async throws -> Response {
        try await render(req, revealed: nil, what: nil, notice: Notice.shown(req, among: Notice.onSettings))
    }

    static func render(
        _ req: Request, revealed: String?, what: String?, notice: String?, savedDraft: SavedDraft? = nil, status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let ctx = try req.staff
        let store = try await StoreService.find(id: ctx.storeID, on: req.db)
        let keys = try await APIKeys.list(storeID: ctx.storeID, on: req.db)
        let hooks = try await Webhooks.list(storeID: ctx.storeID, on: req.db)
        let jobs = try await OutboxListing.latestWebhooks(storeID: ctx.storeID, on: req.db)
        let team = try await Team.byJoining(storeID: ctx.storeID, on: req.db)
        let data = Data(
            storeName: store.name, holdDays: store.moderationHoldHours / 24, inviteReviewUpdate: store.inviteReviewUpdate,
            retentionMonths: try await Retention.months(storeID: ctx.storeID, on: req.db).map(String.init) ?? "",
            requests: try await RequestSettingsPage.context(storeID: ctx.storeID, store: store, req: req),
            replies: try await ReplyTargetsPage.context(storeID: ctx.storeID, req: req),
            brand: try await BrandSettingsPage.context(storeID: ctx.storeID, req: req),
            email: try await EmailSettingsPage.context(storeID: ctx.storeID, req: req),
            showing: try await ShowingReviewsPage.context(req),
            audit: try await AuditLog.latest(storeID: ctx.storeID, limit: 100, on: req.db).map {
                AuditRow(when: Shown.time($0.at), actor: $0.actor, action: $0.action, subject: $0.subject ?? "")
            },
            keys: keys.map {
                Key(id: $0.id!.uuidString, name: $0.name, prefix: $0.prefix, created: Shown.day($0.createdAt), revoked: $0.revokedAt.map(Shown.day))
            },
            hooks: hooks.map { Hook(id: $0.id!.uuidString, url: $0.url, events: $0.events.joined(separator: ", ")) },
            deliveries: jobs.map { j in
                let event =
                    (try? JSONDecoder().decode(OutboxPayload.self, from: Foundation.Data(j.payload.utf8))).flatMap {
                        if case .webhook(_, let e, _) = $0 { e } else { nil }
                    } ?? "?"
                return Delivery(
                    id: j.id!.uuidString, event: event, status: j.status.rawValue, dead: j.status == .dead, attempts: j.attempts,
                    lastError: j.lastError, when: Shown.time(j.createdAt))
            },
            events: Webhooks.events.map(EventChoice.init),
            team: team.map { Member(name: $0.name, email: $0.email, role: $0.role.rawValue) },
            savedReplies: try await SavedReplies.list(storeID: ctx.storeID, on: req.db).map {
                // A refused edit shows what was typed, with the reason, in that reply's form.
                if let d = savedDraft, d.id == $0.id!.uuidString { return Saved(id: d.id!, title: d.title, body: d.body, error: d.error) }
                return Saved(id: $0.id!.uuidString, title: $0.title, body: $0.body)
            },
            placeholders: Template.placeholders.sorted().map { "{{\($0)}}" }.joined(separator: " "),
            revealed: revealed, revealedWhat: what, notice: notice, savedDraft: savedDraft?.id == nil ? savedDraft : nil)
        return try await DashboardPage.render(req, "app-settings", title: "Settings", section: "settings", data, status: status)
    }

    struct NameForm: Content { let name: String? }
    struct InviteForm: Content {
        let email: String?
        let name: String?
        let role: String?
    }
    struct SavedForm: Content {
        let title: String?
        let body: String?
    }
    struct ProfileForm: Content {
        let name: String?
        let hold_days: String?
    }

    static func updateProfile(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(ProfileForm.self)
        try await StoreService.updateProfile(name: form.name, holdDays: form.hold_days, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .saved))
    }

    static func addSavedReply(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(SavedForm.self)
        do {
            _ = try await SavedReplies.create(title: form.title, body: form.body, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        } catch let e as CareError where [.badRequest, .unprocessableEntity].contains(e.kind.status) {
            // Refused (an unknown placeholder, say): the page comes back with what was typed, and why.
            let draft = SavedDraft(id: nil, title: form.title ?? "", body: form.body ?? "", error: e.message)
            return try await render(req, revealed: nil, what: nil, notice: nil, savedDraft: draft, status: e.kind.status)
        }
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .saved, anchor: "saved-replies"))
    }

    static func updateSavedReply(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "saved reply")
        let form = try req.content.decode(SavedForm.self)
        do {
            try await SavedReplies.update(id: id, title: form.title, body: form.body, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        } catch let e as CareError where [.badRequest, .unprocessableEntity].contains(e.kind.status) {
            let draft = SavedDraft(id: id.uuidString, title: form.title ?? "", body: form.body ?? "", error: e.message)
            return try await render(req, revealed: nil, what: nil, notice: nil, savedDraft: draft, status: e.kind.status)
        }
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .saved, anchor: "saved-replies"))
    }

    static func deleteSavedReply(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        try await SavedReplies.delete(
            id: try req.uuidParameter("id", what: "saved reply"), storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .saved, anchor: "saved-replies"))
    }

    /// Adds a teammate and emails them a link to set their password.
    static func invite(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(InviteForm.self)
        guard let role = StaffRole(rawValue: form.role ?? "agent") else { throw CareError.invalid("role", "agent or owner") }
        _ = try await Team.invite(
            email: form.email ?? "", name: form.name, role: role, storeID: ctx.storeID, invitedBy: ctx.staff.name,
            links: req.care.passwordLinks, publicURL: req.care.links.publicURL, hasher: req.care.hasher,
            storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .invited))
    }
    struct CareForm: Content {
        let invite_review_update: String?
        let retention_months: String?
    }
    struct AuditRow: Encodable {
        let when: String
        let actor: String
        let action: String
        let subject: String
    }
    struct WebhookForm: Content {
        let url: String?
        let events: [String]?
    }

    static func createKey(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let key = try await APIKeys.create(
            name: try req.content.decode(NameForm.self).name, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return try await render(req, revealed: key, what: "API key", notice: nil, status: .created)
    }

    static func revokeKey(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let id = try req.uuidParameter("id", what: "API key")
        let hash = try await APIKeys.revoke(id: id, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        req.care.apiKeyCache.forget(keyHash: hash)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .keyRevoked))
    }

    static func updateCare(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(CareForm.self)
        let raw = (form.retention_months ?? "").trimmingCharacters(in: .whitespaces)
        guard raw.isEmpty || Int(raw) != nil else { throw CareError.invalid("retention_months", "must be a whole number of months, or empty") }
        try await Retention.setMonths(Int(raw), storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        try await StoreService.setInviteReviewUpdate(form.invite_review_update == "1", storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .saved))
    }

    static func addWebhook(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(WebhookForm.self)
        let endpoint = try await Webhooks.create(
            url: form.url, events: form.events ?? [], allowPrivate: req.care.config.allowPrivateWebhooks, storeID: ctx.storeID,
            storage: req.care.storage, on: req.db)
        return try await render(req, revealed: endpoint.secret, what: "signing secret for \(endpoint.url)", notice: nil, status: .created)
    }

    static func testWebhook(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        try await Webhooks.sendTest(id: try req.uuidParameter("id", what: "webhook"), storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .testQueued))
    }

    static func deleteWebhook(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        try await Webhooks.delete(id: try req.uuidParameter("id", what: "webhook"), storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .webhookDeleted))
    }

    static func retryDelivery(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        try await OutboxQueue.retryDead(
            id: try req.uuidParameter("id", what: "delivery"), storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .retryQueued))
    }

    /// Queues a test email to the signed-in owner through the outbox, as every email goes.
    static func testMail(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        try await OutboxQueue.enqueueStaffMail(
            to: ctx.staff.email, subject: "[\(ctx.store.name)] CareLoop test email",
            body: "This is a test email from CareLoop's settings page. If you can read it, outbound mail works.",
            storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .mailQueued))
    }
}

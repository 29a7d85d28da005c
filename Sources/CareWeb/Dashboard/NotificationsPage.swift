import CareCore
import Vapor

/// A person's notifications: what they were told (read once the page is opened), which kinds they
/// get by mail, and the signed one-click link each mail carries to stop its kind.
enum NotificationsPage {
    struct Row: Encodable {
        let text: String
        let href: String?
        let when: String
        let unread: Bool
    }
    struct Choice: Encodable {
        let kind: String
        let label: String
        let on: Bool
    }
    struct Data: Encodable {
        let rows: [Row]
        let hasRows: Bool
        let choices: [Choice]
        let saved: Bool
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let zone = try await StoreZone.of(ctx.storeID, on: req.db)
        let notices = try await StaffNotifications.list(staffID: ctx.staffID, on: req.db)
        let off = try await StaffNotifications.mailOff(staffID: ctx.staffID, on: req.db)
        let data = Data(
            rows: notices.map {
                Row(
                    text: $0.text, href: $0.conversationID.map { SitePath.conversation.href($0) }, when: Shown.time($0.createdAt, in: zone),
                    unread: !$0.read)
            },
            hasRows: !notices.isEmpty,
            choices: NoticeKind.allCases.map { Choice(kind: $0.rawValue, label: $0.label, on: !off.contains($0)) },
            saved: req.queryText("saved") == "1")
        let page = try await DashboardPage.render(req, "app-notifications", title: "Notifications", section: "notifications", data)
        // Seen now: the count in the navigation goes on the next page.
        if notices.contains(where: { !$0.read }) {
            try await StaffNotifications.markAllRead(staffID: ctx.staffID, storage: req.care.storage, on: req.db)
        }
        return page
    }

    static func updateMail(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        struct Form: Content { let mail: [String]? }
        let chosen = Set((try req.content.decode(Form.self).mail ?? []).prefix(NoticeKind.allCases.count * 2).compactMap(NoticeKind.init(rawValue:)))
        try await StaffNotifications.setMailOff(
            Set(NoticeKind.allCases).subtracting(chosen), staffID: ctx.staffID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.notifications.href(query: "saved=1"))
    }

    struct StopData: Encodable {
        let title: String
        let message: String
        let token: String?
    }

    /// The link in a notification mail: a page with one button (mail scanners open links; only a
    /// press, or a mail program's one-click POST, stops anything).
    static func stopPage(_ req: Request) async throws -> Response {
        let token = try stopToken(req)
        let kind = try kindOf(token, req)
        let view = try await req.view.render(
            "app-notice-stop",
            StopData(
                title: "Stop these emails", message: "Stop emails telling you: \(kind.label.lowercased()). You still see them under Notifications.",
                token: token))
        return DashboardPage.secure(try await view.encodeResponse(for: req))
    }

    static func stop(_ req: Request) async throws -> Response {
        let token = try stopToken(req)
        let kind = try kindOf(token, req)
        guard let (staffID, _) = req.care.links.openNotificationStop(token) else { throw CareError.notFound("link") }
        try await StaffNotifications.stop(kind, staffID: staffID, storage: req.care.storage, on: req.db)
        let view = try await req.view.render(
            "app-notice-stop",
            StopData(
                title: "Stopped", message: "You will get no more of these emails. Notifications in the dashboard lets you turn them on again.",
                token: nil))
        return DashboardPage.secure(try await view.encodeResponse(for: req))
    }

    private static func stopToken(_ req: Request) throws -> String {
        guard let token = req.parameters.get("token"), token.utf8.count <= 200 else { throw CareError.notFound("link") }
        return token
    }

    private static func kindOf(_ token: String, _ req: Request) throws -> NoticeKind {
        guard let (_, raw) = req.care.links.openNotificationStop(token), let kind = NoticeKind(rawValue: raw) else {
            throw CareError.notFound("link")
        }
        return kind
    }
}

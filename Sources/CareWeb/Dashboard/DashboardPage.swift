import CareCore
import Fluent
import Vapor

/// What every dashboard page shows around its content: who is signed in, the store, the CSRF token
/// for forms, and which section is open.
struct Chrome: Encodable {
    let title: String
    let section: String
    let staffName: String
    let storeName: String
    let csrf: String
    let isOwner: Bool
    /// Reviews held for a person's decision: a badge on "Reviews".
    let heldReviews: Int
    /// A reply or resolution that can still be undone.
    let undo: UndoBar?
    /// Notifications this person has not read: a count on "Notifications".
    let unread: Int
}

struct PageContext<Data: Encodable>: Encodable {
    let chrome: Chrome
    let data: Data
}

/// A tab with its count (the inbox's statuses and views, the reviews' statuses).
struct DashboardTab: Encodable {
    let label: String
    let href: String
    /// As shown: a number, or "1000+" where only so many were counted.
    let count: String
    let current: Bool
}

enum DashboardPage {
    /// Dashboard pages run no script but CareLoop's own file, so text a customer wrote can never run.
    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func render<D: Encodable>(
        _ req: Request, _ template: String, title: String, section: String, _ data: D,
        status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let ctx = try req.staff
        let chrome = Chrome(
            title: title, section: section, staffName: ctx.staff.name, storeName: ctx.store.name, csrf: ctx.csrf, isOwner: ctx.isOwner,
            heldReviews: try await ReviewDecisions.held(storeID: ctx.storeID, on: req.db),
            undo: try await UndoBar.load(req, storeID: ctx.storeID),
            unread: try await StaffNotifications.unread(staffID: ctx.staffID, on: req.db))
        let view = try await req.view.render(template, PageContext(chrome: chrome, data: data))
        return try await secure(view.encodeResponse(status: status, for: req))
    }

    static func secure(_ response: Response) -> Response {
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: contentSecurityPolicy)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        return response
    }

    /// Back to where a form was posted from (a path on this site only).
    static func back(_ req: Request, to path: String) -> Response {
        req.redirect(to: path.hasPrefix(SitePath.root) && isPlainPath(path) ? path : SitePath.root, redirectType: .normal)
    }

    /// A path of this site that is safe in a Location header: no control characters (a line break
    /// would start a header of its own), no backslash, no `//` host, no `.` or `..` segment, short.
    static func isPlainPath(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.hasPrefix("//"), path.utf8.count <= 1_000 else { return false }
        guard path.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "\\") }) else { return false }
        let route = path.split(separator: "?", maxSplits: 1).first ?? ""
        return !route.split(separator: "/").contains { $0 == "." || $0 == ".." || $0.lowercased().hasPrefix("%2e") }
    }
}

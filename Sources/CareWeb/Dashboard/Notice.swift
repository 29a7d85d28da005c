import Vapor

/// What a page says after a form did its work (post, redirect, get): the redirect carries the
/// notice's name in `?notice=`, the page shows its text. Anything else in `notice` shows nothing.
enum Notice: String, CaseIterable, Sendable {
    case saved
    case keyRevoked = "key-revoked"
    case testQueued = "test-queued"
    case webhookDeleted = "webhook-deleted"
    case retryQueued = "retry-queued"
    case mailQueued = "mail-queued"
    case invited
    case suppressionCleared = "suppression-cleared"
    case connectionCreated = "created"
    case connectionPaused = "paused"
    case connectionResumed = "resumed"
    case connectionDeleted = "deleted"
    case passwordSet = "password-set"

    var text: String {
        switch self {
        case .saved: "Saved."
        case .keyRevoked: "The key is revoked: it stops working at once."
        case .testQueued: "A test event is queued: see the delivery log."
        case .webhookDeleted: "The webhook is deleted."
        case .retryQueued: "The delivery is queued again."
        case .mailQueued: "A test email to you is queued: see the outbox if it does not arrive."
        case .invited: "The invitation is on its way: the link in it works for a week."
        case .suppressionCleared: "The address is off the suppression list: mail to it goes again."
        case .connectionCreated: "Connected on CareLoop's side. Now make the webhooks in your shop's admin, as shown below."
        case .connectionPaused: "Paused: deliveries are refused until you resume (the shop retries them for a while)."
        case .connectionResumed: "Resumed: deliveries are taken again."
        case .connectionDeleted: "The connection is deleted. The orders and products it brought stay."
        case .passwordSet: "Your password is set. Sign in with it."
        }
    }

    /// The notice a request's `?notice=` names, as text, when it is one this page says.
    static func shown(_ req: Request, among page: Set<Notice>) -> String? {
        req.queryText("notice").flatMap(Notice.init(rawValue:)).flatMap { page.contains($0) ? $0.text : nil }
    }

    /// What each page may say.
    static let onSettings: Set<Notice> = [
        .saved, .keyRevoked, .testQueued, .webhookDeleted, .retryQueued, .mailQueued, .invited, .suppressionCleared,
    ]
    static let onConnections: Set<Notice> = [.connectionCreated, .connectionPaused, .connectionResumed, .connectionDeleted]
    static let onLogin: Set<Notice> = [.passwordSet]
}

extension SitePath {
    /// The page with a notice (and the part of it to scroll to).
    func href(notice: Notice, anchor: String? = nil) -> String {
        href(query: "notice=" + notice.rawValue, anchor: anchor)
    }
}

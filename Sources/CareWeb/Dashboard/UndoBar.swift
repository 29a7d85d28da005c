import CareCore
import Foundation
import Vapor

/// The bar offering to undo a reply or resolution while its mail waits: carried to the next page
/// as `?undo=<action>`, and shown only while that action of this store can still be undone.
struct UndoBar: Encodable {
    let conversation: String
    let action: String
    let text: String
    /// When the mail is queued (milliseconds since 1970), for the countdown.
    let untilMillis: Int64
    let secondsLeft: Int

    static func offer(_ action: UUID?, on path: String) -> String {
        guard let action else { return path }
        return path + (path.contains("?") ? "&" : "?") + "undo=" + action.uuidString
    }

    static func load(_ req: Request, storeID: UUID) async throws -> UndoBar? {
        guard let raw = req.queryText("undo"), raw.utf8.count <= 64, let id = UUID(uuidString: raw) else { return nil }
        let now = req.care.storage.now()
        guard let p = try await UndoActions.pending(actionID: id, storeID: storeID, now: now, on: req.db) else { return nil }
        let text =
            switch p.kind {
            case "send": "Reply sent."
            case "resolve": "Conversation resolved."
            default: "Reply sent and conversation resolved."
            }
        return UndoBar(
            conversation: p.conversationID.uuidString, action: id.uuidString, text: text,
            untilMillis: Int64(p.until.timeIntervalSince1970 * 1000), secondsLeft: max(1, Int(p.until.timeIntervalSince(now).rounded(.up))))
    }
}

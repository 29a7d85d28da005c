import CareCore
import Vapor

/// The store's care settings, and the recovery report that shows whether care works.
enum CareSettingsController {
    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let store = try await StoreService.find(id: ctx.storeID, on: req.db)
        let months = try await Retention.months(storeID: ctx.storeID, on: req.db) ?? 0
        return try JSONBody.response(CareSettingsView(inviteReviewUpdate: store.inviteReviewUpdate, retentionMonths: WholeNumberOrNil(months)))
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let p = try JSONBody.decode(CareSettingsView.self, from: req)
        guard p.inviteReviewUpdate != nil || p.retentionMonths != nil else { throw CareError.missing("invite_review_update") }
        if let months = p.retentionMonths?.value {
            try await Retention.setMonths(months == 0 ? nil : months, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        }
        if let invite = p.inviteReviewUpdate {
            try await StoreService.setInviteReviewUpdate(invite, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        }
        return try await show(req)
    }

    static func recovery(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        return try JSONBody.response(RecoveryView(report: try await Recovery.report(storeID: ctx.storeID, on: req.db)))
    }
}

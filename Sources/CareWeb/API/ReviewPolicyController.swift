import CareCore
import Fluent
import Vapor

/// `/s/{slug}/review-policy`: how the store collects, checks and shows reviews, written from its
/// actual settings, so the page can never say something the software does not do. EU shops must
/// disclose this (the Omnibus directive); the widget and the request form link here.
enum ReviewPolicyController {
    struct Context: Encodable {
        let storeName: String
        let delayDays: Int
        let reminders: String
        let holdDays: String
        let invitesUpdate: Bool
        /// Whom we ask only with their marketing consent, in the store's words (nil: everyone is asked).
        let consent: String?
    }

    static func show(_ req: Request) async throws -> Response {
        let slug = try req.parameters.require("slug")
        guard slug.utf8.count <= 100, let store = try await StoreService.store(slug: slug, on: req.db) else { throw CareError.notFound("store") }
        let settings = try await RequestSettings.load(storeID: try store.requireID(), on: req.db)
        let reminders: String
        switch settings.reminderDays.count {
        case 0: reminders = "No reminder follows."
        case 1:
            reminders = "One reminder follows \(settings.reminderDays[0]) days later, unless they have reviewed, unsubscribed or are talking to us."
        default:
            reminders =
                "Reminders follow \(settings.reminderDays.map(String.init).joined(separator: " and ")) days later, unless they have reviewed, unsubscribed or are talking to us."
        }
        let hours = store.moderationHoldHours
        let context = Context(
            storeName: store.name, delayDays: settings.delayDays, reminders: reminders,
            holdDays: hours % 24 == 0 ? "\(hours / 24) day\(hours == 24 ? "" : "s")" : "\(hours) hours",
            invitesUpdate: store.inviteReviewUpdate, consent: consentText(settings))
        let response = try await req.view.render("review-policy", context).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }

    static func consentText(_ s: RequestSettings) -> String? {
        switch s.consentRule {
        case .off: nil
        case .everywhere: "We ask only buyers who agreed to receive marketing email from us when they ordered."
        case .countries:
            "Buyers in these countries are asked only if they agreed to receive marketing email from us when they ordered: "
                + s.consentCountries.joined(separator: ", ") + "."
        }
    }
}

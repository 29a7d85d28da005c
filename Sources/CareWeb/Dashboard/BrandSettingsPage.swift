import CareCore
import Vapor

/// Settings → Customer's page: the store's colour and logo, as its customers see them on their
/// conversation page and in care emails.
enum BrandSettingsPage {
    struct Context: Encodable {
        let colour: String
        let accent: String
        let onAccent: String
        let hasLogo: Bool
        let maxLogoKB: Int
    }

    static func context(storeID: UUID, req: Request) async throws -> Context {
        let look = try await StoreBrand.load(storeID: storeID, on: req.db)
        return Context(
            colour: look.colour ?? "", accent: look.accent, onAccent: look.onAccent, hasLogo: look.hasLogo,
            maxLogoKB: StoreBrand.maxLogoBytes / 1_024)
    }

    struct Form: Content {
        let colour: String?
        let logo: File?
        let remove_logo: String?
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(Form.self)
        try await StoreBrand.save(
            storeID: ctx.storeID, colour: form.colour, logo: form.logo.map { Array($0.data.readableBytesView) },
            removeLogo: form.remove_logo == "1", storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .saved, anchor: "brand"))
    }

    /// The store's logo, for its staff (the settings preview).
    static func logo(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        guard let (type, bytes) = try await StoreBrand.logo(storeID: ctx.storeID, on: req.db) else { throw CareError.notFound("logo") }
        return PhotoResponse.make(type: type, bytes: bytes)
    }
}

import CareCore
import Vapor

/// What the routes need besides the request: passed in at build time, reachable from any request.
public struct CareServices: Sendable {
    public let config: CareConfig
    public let storage: CareStorage
    public let hasher: any StaffPasswordHasher
    public let secret: String
    public let publicReviewLimiter: RateLimiter
    /// Sign-in attempts per client address (the per-account lockout is in `StaffAuth`).
    public let signInLimiter: RateLimiter
    public let publicListCache: PublicListCache
    public let metrics: CareMetrics
    public let apiKeyCache: APIKeyCache
    public let links: CareLinks
    /// Emailed links to set a password (reset, invitation).
    public let passwordLinks: PasswordLinks
    public let outboxSignal: OutboxSignal
    public let mail: MailSettings
    /// What searched inbox views matched lately (previous / next without searching again).
    public let inboxSearches = InboxSearches()
    /// Large uploads read at once (customers' photos).
    let uploads = UploadSlots()
    /// Inbound mails read at once: 2 per store (or for the installation's pipe), 4 in all, each up to
    /// `InboundEmailController.maxBytes`: the memory raw mail can take is bounded.
    let inboundMail = UploadSlots(perConversation: 2, perStore: 2, total: 4)
    /// Shop deliveries' bodies in memory at once: 8 MiB per store, 32 MiB in all, 64 at once per
    /// client address (each body up to `ShopDeliveryController.maxBytes`). Only a sender holding a
    /// connection's URL key gets this far; a platform sends a store's busy hour from few addresses.
    let shopDeliveries = BodyBudget(perStore: 8 << 20, total: 32 << 20, readsPerAddress: 64)
    /// Which refused shop deliveries are written down (one a second per connection).
    let refusalNotes = RefusalNotes()
    /// Stores whose widget was seen on their own site, for the first-run checklist.
    let widgetSightings = WidgetSightings()
    /// The threads raw mail is read on.
    let mailReaders: MailReaders
}

extension Application {
    private struct CareServicesKey: StorageKey { typealias Value = CareServices }

    public var care: CareServices {
        get {
            guard let s = storage[CareServicesKey.self] else { fatalError("buildApplication did not run") }
            return s
        }
        set { storage[CareServicesKey.self] = newValue }
    }
}

extension Request {
    fileprivate struct CareServicesKey: StorageKey { typealias Value = CareServices }

    /// The services this request started with (`RequestServices`): still here when the application
    /// stops while the request runs, so its last steps (releasing an upload slot) end cleanly.
    var care: CareServices { storage[CareServicesKey.self] ?? application.care }
}

/// Gives each request the application's services as it comes in, before anything else runs.
struct RequestServices: AsyncMiddleware {
    let care: CareServices

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        request.storage[Request.CareServicesKey.self] = care
        return try await next.respond(to: request)
    }
}

/// Staff passwords, hashed with Vapor's bcrypt.
struct BcryptHasher: StaffPasswordHasher {
    let cost: Int
    func hash(_ password: String) throws -> String { try Bcrypt.hash(password, cost: cost) }
    func verify(_ password: String, against hash: String) throws -> Bool { try Bcrypt.verify(password, created: hash) }
}

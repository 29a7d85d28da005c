import CareCore
import Vapor

/// Settings → Email: how the store's mail leaves (relay, From, DKIM and whether the From domain,
/// the signing domain and the return path align, as mailbox providers judge it), how replies come
/// back (the inbound secret), sending from the store's own address, and the suppression list:
/// addresses whose mail bounced, each with its reason, cleared by hand.
enum EmailSettingsPage {
    struct Bounced: Encodable {
        let email: String
        let when: String
        let mail: String
        let status: String
        let reason: String
    }

    struct Alignment: Encodable {
        let what: String
        let domain: String
        let aligned: Bool
    }

    struct Context: Encodable {
        let smtp: String
        let fromAddress: String
        let inboundSecret: String
        let inboundDomain: String
        let installationPipe: Bool
        /// The record to publish (the store's own key, else the installation's), with its DNS name.
        let dkimName: String?
        let dkimRecord: String?
        let alignment: [Alignment]
        let ownAddress: String
        let ownActive: Bool
        let hasOwn: Bool
        let suppressions: [Bounced]
        let automaticPerHour: Int
    }

    static func context(storeID: UUID, req: Request) async throws -> Context {
        let mail = req.care.mail
        let own = try await StoreSender.load(storeID: storeID, on: req.db)
        let from = own?.active == true ? own!.fromAddress : mail.fromAddress
        let fromDomain = String(from.split(separator: "@").last ?? "")
        let signer = own?.active == true ? own?.signer : mail.dkim
        // The record shown is the one the owner must publish: their own key's while it waits.
        let shownSigner = own?.signer ?? mail.dkim
        let suppressions = try await MailBounces.suppressions(storeID: storeID, on: req.db)
        return Context(
            smtp: mail.smtp.map { "\($0.host):\($0.port) (STARTTLS \($0.startTLS.rawValue))" }
                ?? "Not set: emails wait in the outbox until CARELOOP_SMTP_URL is set",
            fromAddress: from,
            inboundSecret: try await InboundMail.secret(for: storeID, storage: req.care.storage, on: req.db),
            inboundDomain: mail.domain, installationPipe: req.care.config.inboundSecret != nil,
            dkimName: shownSigner?.dnsName, dkimRecord: shownSigner?.dnsRecord,
            alignment: [
                Alignment(what: "From", domain: fromDomain, aligned: true),
                Alignment(
                    what: "DKIM signature (d=)", domain: signer?.domain ?? "not signed",
                    aligned: signer.map { StoreSender.aligned($0.domain, fromDomain) } ?? false),
                Alignment(what: "Return path (bounces, SPF)", domain: mail.domain, aligned: StoreSender.aligned(mail.domain, fromDomain)),
            ],
            ownAddress: own?.fromAddress ?? "", ownActive: own?.active ?? false, hasOwn: own != nil,
            suppressions: suppressions.map {
                Bounced(email: $0.email, when: Shown.time($0.at), mail: $0.mailKind, status: $0.status, reason: $0.diagnostic ?? "")
            },
            automaticPerHour: AutomaticMailLimit.perHour)
    }

    struct SenderForm: Content {
        let from_address: String?
        let action: String?
    }

    /// Saves the store's own address (a new domain gets a new key), starts or stops using it, or removes it.
    static func updateSender(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(SenderForm.self)
        let mail = req.care.mail
        do {
            switch form.action {
            case "activate":
                try await StoreSender.setActive(
                    true, storeID: ctx.storeID, lookup: { try await DNSText.lookup($0, resolver: req.care.config.dnsResolver) },
                    storage: req.care.storage, on: req.db)
            case "deactivate": try await StoreSender.setActive(false, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
            case "remove": try await StoreSender.remove(storeID: ctx.storeID, storage: req.care.storage, on: req.db)
            default:
                let reserved = [mail.domain, String(mail.fromAddress.split(separator: "@").last ?? "")]
                try await StoreSender.save(
                    storeID: ctx.storeID, fromAddress: form.from_address ?? "", reserved: reserved, storage: req.care.storage, on: req.db)
            }
        } catch let e as CareError where e.kind != .notFound {
            // Said on the page, beside the form.
            return try await SettingsPageController.render(req, revealed: nil, what: nil, notice: e.message, status: e.kind.status)
        }
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .saved, anchor: "email"))
    }

    struct ClearForm: Content { let email: String? }

    /// Takes one address off the suppression list: its mail goes again.
    static func clear(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let email = try EmailAddress(try req.content.decode(ClearForm.self).email ?? "").value
        _ = try await MailBounces.clear(storeID: ctx.storeID, email: email, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .suppressionCleared, anchor: "email"))
    }
}

/// How CareLoop sends mail: the SMTP server, the sender, the domain of reply addresses, return
/// paths and Message-IDs (`reply+TOKEN@domain`, `bounce+TOKEN@domain`), and the installation's
/// DKIM key.
public struct MailSettings: Sendable {
    public var smtp: SMTPSettings? {
        didSet { relay = smtp.map { SMTPRelay(settings: $0) } }
    }
    /// Open sessions with the relay, reused for many messages (one set per installation's settings).
    public private(set) var relay: SMTPRelay?
    public var fromAddress: String
    public var domain: String
    /// Signs every mail From the installation's address (`CARELOOP_DKIM_*`).
    public var dkim: DKIMSigner?

    public init(smtp: SMTPSettings?, fromAddress: String, domain: String, dkim: DKIMSigner? = nil) {
        self.smtp = smtp
        self.relay = smtp.map { SMTPRelay(settings: $0) }
        self.fromAddress = fromAddress
        self.domain = domain
        self.dkim = dkim
    }

    public func replyAddress(token: String) -> String { "reply+\(token)@\(domain)" }

    /// The envelope sender (return path) of one mail: bounces about it come back to this address.
    public func bounceAddress(token: String) -> String { "bounce+\(token)@\(domain)" }

    /// Stable for a message, so a resend after a crash carries the same Message-ID.
    public func messageID(for messageID: String) -> String { "careloop.\(messageID.lowercased())@\(domain)" }
}

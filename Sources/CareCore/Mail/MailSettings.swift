/// How CareLoop sends mail: the SMTP server, the sender, and the domain of reply addresses and
/// Message-IDs (`reply+TOKEN@domain`).
public struct MailSettings: Sendable {
    public var smtp: SMTPSettings?
    public var fromAddress: String
    public var domain: String

    public init(smtp: SMTPSettings?, fromAddress: String, domain: String) {
        self.smtp = smtp
        self.fromAddress = fromAddress
        self.domain = domain
    }

    public func replyAddress(token: String) -> String { "reply+\(token)@\(domain)" }

    /// Stable for a message, so a resend after a crash carries the same Message-ID.
    public func messageID(for messageID: String) -> String { "careloop.\(messageID.lowercased())@\(domain)" }
}

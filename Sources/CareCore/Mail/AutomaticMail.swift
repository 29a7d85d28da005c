/// Whether an inbound mail was written by a person or by a machine (RFC 3834): an out-of-office
/// answer, a vacation responder, a delivery report, a list or bulk mailing. Only a person's mail is
/// the customer speaking; CareLoop never answers the others.
///
/// Only headers that mail programs leave off a person's own message count: `Auto-Submitted` other
/// than `no`, the common responders' `X-Autoreply` / `X-Autorespond`, `Precedence: auto_reply`,
/// `bulk` or `junk`, Exchange's inbox-rule marker, list headers, a delivery report, and an empty
/// return path. Outlook's `X-Auto-Response-Suppress` is not one of them: Outlook puts it on
/// people's messages too.
public enum AutomaticMail {
    public enum Kind: String, Sendable, Equatable {
        case person
        /// An auto-responder's answer (out of office, vacation, "we got your mail").
        case autoReply = "auto_reply"
        /// A delivery status notification or another mail-system message.
        case deliveryReport = "delivery_report"
        /// A mailing list or bulk mail.
        case bulk
    }

    public static func kind(of m: MIMEMessage) -> Kind {
        if m.deliveryReport != nil { return .deliveryReport }
        if MIME.contentType(m.header("Content-Type")).type == "multipart/report" { return .deliveryReport }
        if let submitted = m.header("Auto-Submitted") {
            let value = submitted.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            if !value.isEmpty && value != "no" { return .autoReply }
        }
        for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply", "X-Mail-Autoreply"] {
            if let v = m.header(name)?.trimmingCharacters(in: .whitespaces).lowercased(), !v.isEmpty, v != "no", v != "false" { return .autoReply }
        }
        if m.header("X-MS-Exchange-Inbox-Rules-Loop") != nil { return .autoReply }
        switch m.header("Precedence")?.trimmingCharacters(in: .whitespaces).lowercased() {
        case "auto_reply": return .autoReply
        case "bulk", "junk", "list": return .bulk
        default: break
        }
        if m.header("List-Id") != nil || m.header("List-Unsubscribe") != nil { return .bulk }
        // RFC 3834 §3.3 and RFC 5321 §4.5.5: automatic answers and bounces go out with an empty return path.
        if let returnPath = m.header("Return-Path")?.trimmingCharacters(in: .whitespaces), returnPath == "<>" { return .autoReply }
        if let from = m.fromAddress, from.hasPrefix("mailer-daemon@") || from.hasPrefix("postmaster@") { return .deliveryReport }
        return .person
    }
}

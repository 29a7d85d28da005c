import Foundation

/// One mail of every kind CareLoop sends, in English and German, composed and signed exactly as
/// the outbox does: what `careloop mail samples` writes, so an administrator (and the gauntlet)
/// can check DKIM, alignment and spam scores before a customer gets one. Made-up people, orders
/// and links; nothing is read from or written to a database.
public enum MailSamples {
    public struct Sample: Sendable {
        public let name: String
        public let raw: String
    }

    public static func all(mail: MailSettings, links: CareLinks, date: Date = Date()) -> [Sample] {
        var out: [Sample] = []
        for language in [RequestLanguage.en, .de] {
            let german = language == .de
            let store = Store(id: UUID(), name: german ? "Grüne Küche & Co." : "Kettle & Co.", slug: "sample", createdAt: date)
            let customer = german ? ("juergen.gross@example.com", "Jürgen Groß") : ("grace.hopper@example.com", "Grace Hopper")
            let product = german ? "Wasserkocher „Schwanenhals“ 1 l" : "Gooseneck Kettle 1 l"
            let first = String(customer.1.split(separator: " ")[0])
            let page = links.conversationPage(token: Secrets.randomToken(bytes: 18), issuedAt: date)
            let replyTo = mail.replyAddress(token: Secrets.randomToken(bytes: 18))
            let look = StoreBrand.Look()
            func id(_ kind: String) -> String { mail.messageID(for: "sample.\(kind).\(UUID().uuidString)") }
            func add(_ kind: String, _ m: OutgoingMail) {
                out.append(Sample(name: "\(language.rawValue)-\(kind)", raw: MailComposer.compose(m, signer: mail.dkim)))
            }
            let careText =
                german
                ? "Hallo \(first),\n\nes tut mir leid, dass \(product) Sie enttäuscht hat. Ich habe Ihre Bewertung gelesen und möchte das in Ordnung bringen.\nWas ist schiefgegangen? Antworten Sie einfach auf diese E-Mail; ein Mensch (ich) antwortet.\n\n\(store.name)"
                : "Hi \(first),\n\nI'm sorry \(product) let you down. I read your review and I'd like to put this right.\nCould you tell me what went wrong? Just reply to this email; a real person (me) will answer.\n\n\(store.name)"
            let care = id("care")
            add(
                "care-trigger",
                MessageFormat.mail(
                    careText, id: care, store: store.name, look: look, to: customer,
                    subject: german ? "Zu Ihrer Bewertung von \(product)" : "About your \(product) review", earlier: [], page: page, replyTo: replyTo,
                    from: mail.fromAddress, date: date, automatic: true))
            // A long thread: References folds over several lines; the text ends without a newline.
            let thread = [care] + (1...11).map { id("earlier\($0)") }
            add(
                "staff-reply",
                MessageFormat.mail(
                    german
                        ? "Hallo \(first), ein neuer Deckel ist unterwegs – Sendungsnummer 00340434161094015902. Grüße, Maya"
                        : "Hi \(first), a new lid is on its way — tracking number 00340434161094015902. Best, Maya",
                    id: id("staff"), store: store.name, look: look, to: customer,
                    subject: german ? "Zu Ihrer Bewertung von \(product)" : "About your \(product) review", earlier: thread, page: page,
                    replyTo: replyTo, from: mail.fromAddress, date: date, automatic: false))
            add(
                "resolved-invitation",
                MessageFormat.mail(
                    ReviewUpdateInvitation.text(customerName: customer.1, storeName: store.name, link: page + "#review"), id: id("resolved"),
                    store: store.name, look: look, to: customer,
                    subject: german ? "Zu Ihrer Bewertung von \(product)" : "About your \(product) review", earlier: [care], page: page,
                    replyTo: replyTo, from: mail.fromAddress, date: date, automatic: true))
            var settings = RequestSettings()
            settings.language = language
            for step in 0...2 {
                var m = RequestMail.preview(
                    store: store, settings: settings, links: links, mailDomain: mail.domain, step: step, fromAddress: mail.fromAddress,
                    customer: customer)
                m.automatic = true
                m.date = date
                add(step == 0 ? "request" : "reminder-\(step)", m)
            }
            var note = OutgoingMail(
                fromName: "CareLoop", fromAddress: mail.fromAddress, to: "maya@example.com", toName: nil, replyTo: nil,
                subject: german ? "[\(store.name)] Neue 1★-Bewertung: \(customer.1)" : "[\(store.name)] New 1★ review: \(customer.1)",
                text: german
                    ? "\(customer.1) hat \(product) mit 1★ bewertet. Das Gespräch ist offen: \(links.publicURL)/app/inbox"
                    : "\(customer.1) rated \(product) 1★. The conversation is open: \(links.publicURL)/app/inbox",
                html: nil, messageID: id("notification"), inReplyTo: nil, references: [], date: date)
            note.automatic = true
            add("staff-notification", note)
        }
        return out
    }
}

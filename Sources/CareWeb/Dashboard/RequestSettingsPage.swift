import CareCore
import Fluent
import Vapor

/// Settings → Review requests: when buyers are asked, the reminders, the daily cap, the quiet
/// hours and the language, with a preview of the email as a buyer would read it.
enum RequestSettingsPage {
    typealias Choice = FormChoice

    struct Context: Encodable {
        let delayDays: Int
        let firstReminder: String
        let secondReminder: String
        let dailyCap: Int
        let quietStart: Int
        let quietEnd: Int
        let timeZone: String
        let languages: [Choice]
        let previewSubject: String
        let previewText: String
        let texts: [OwnText]
        /// "Ask only buyers who agreed to marketing email": off, everywhere, or in the listed countries.
        let consentRules: [Choice]
        let consentCountries: String
    }

    /// One language's own subject and opening paragraph; the built-in text is the field's placeholder.
    struct OwnText: Encodable {
        let code: String
        let label: String
        let subject: String
        let intro: String
        let defaultSubject: String
        let defaultIntro: String
    }

    static func context(storeID: UUID, store: Store, req: Request) async throws -> Context {
        let s = try await RequestSettings.load(storeID: storeID, on: req.db)
        let preview = RequestMail.preview(
            store: store, settings: s, links: req.care.links, mailDomain: req.care.mail.domain,
            look: try await StoreBrand.load(storeID: storeID, on: req.db))
        return Context(
            delayDays: s.delayDays, firstReminder: s.reminderDays.first.map(String.init) ?? "",
            secondReminder: s.reminderDays.dropFirst().first.map(String.init) ?? "", dailyCap: s.dailyCap,
            quietStart: s.quietStartHour, quietEnd: s.quietEndHour, timeZone: s.timeZone,
            languages: RequestLanguage.allCases.map {
                Choice(value: $0.rawValue, label: $0 == .en ? "English" : "Deutsch", selected: $0 == s.language)
            },
            previewSubject: preview.subject, previewText: preview.text,
            texts: RequestLanguage.allCases.map {
                let t = RequestTexts.of($0)
                return OwnText(
                    code: $0.rawValue, label: $0 == .en ? "English" : "Deutsch", subject: s.texts[$0]?.subject ?? "",
                    intro: s.texts[$0]?.intro ?? "", defaultSubject: t.subject, defaultIntro: t.intro)
            },
            consentRules: ConsentRule.allCases.map { Choice(value: $0.rawValue, label: consentLabel($0), selected: $0 == s.consentRule) },
            consentCountries: s.consentCountries.joined(separator: ", "))
    }

    static func consentLabel(_ rule: ConsentRule) -> String {
        switch rule {
        case .off: "Ask every buyer (a review request is a service email)"
        case .everywhere: "Ask only buyers who agreed to marketing email"
        case .countries: "Ask only buyers who agreed to marketing email, in the countries listed below"
        }
    }

    struct Form: Content {
        let delay_days: String?
        let first_reminder: String?
        let second_reminder: String?
        let daily_cap: String?
        let quiet_start_hour: String?
        let quiet_end_hour: String?
        let time_zone: String?
        let language: String?
        let subject_en: String?
        let intro_en: String?
        let subject_de: String?
        let intro_de: String?
        let consent_rule: String?
        let consent_countries: String?
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try req.staff
        let form = try req.content.decode(Form.self)
        func number(_ raw: String?, _ field: String) throws -> Int {
            guard let raw, let n = Int(raw.trimmingCharacters(in: .whitespaces)) else { throw CareError.invalid(field, "must be a whole number") }
            return n
        }
        func optionalNumber(_ raw: String?, _ field: String) throws -> Int? {
            let text = (raw ?? "").trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : try number(text, field)
        }
        var s = RequestSettings()
        s.delayDays = try number(form.delay_days, "delay_days")
        let first = try optionalNumber(form.first_reminder, "reminder_days")
        let second = try optionalNumber(form.second_reminder, "reminder_days")
        if first == nil, second != nil { throw CareError.invalid("reminder_days", "set the first reminder before a second one") }
        s.reminderDays = [first, second].compactMap { $0 }
        s.dailyCap = try number(form.daily_cap, "daily_cap")
        s.quietStartHour = try number(form.quiet_start_hour, "quiet_start_hour")
        s.quietEndHour = try number(form.quiet_end_hour, "quiet_end_hour")
        s.timeZone = (form.time_zone ?? "").trimmingCharacters(in: .whitespaces)
        guard let language = form.language.flatMap(RequestLanguage.init(rawValue:)) else {
            throw CareError.invalid("language", "choose English or Deutsch")
        }
        s.language = language
        s.texts[.en] = RequestCustomText(subject: form.subject_en, intro: form.intro_en)
        s.texts[.de] = RequestCustomText(subject: form.subject_de, intro: form.intro_de)
        // An older form without the consent fields keeps what was chosen.
        let kept = try await RequestSettings.load(storeID: ctx.storeID, on: req.db)
        s.consentRule =
            try form.consent_rule.map {
                guard let rule = ConsentRule(rawValue: $0) else { throw CareError.invalid("consent_rule", "choose one of the options") }
                return rule
            } ?? kept.consentRule
        s.consentCountries = try form.consent_countries.map { try RequestSettings.countries(from: $0) } ?? kept.consentCountries
        try await RequestSettings.save(s, storeID: ctx.storeID, storage: req.care.storage, on: req.db)
        return DashboardPage.back(req, to: SitePath.settings.href(notice: .saved, anchor: "review-requests"))
    }
}

import FluentKit
import Foundation
import SQLKit

/// The languages request emails and forms are written in.
public enum RequestLanguage: String, Sendable, Codable, CaseIterable {
    case en
    case de
}

/// A store's own subject and opening paragraph for one language (nil: the built-in text).
public struct RequestCustomText: Sendable, Equatable {
    public var subject: String?
    public var intro: String?
    public init(subject: String? = nil, intro: String? = nil) {
        self.subject = subject
        self.intro = intro
    }
}

/// Whom a store asks only with their marketing consent: nobody (`off`: a review request is a
/// service mail), every buyer (`everywhere`), or buyers in the countries listed (`countries`:
/// some countries treat a review request as advertising).
public enum ConsentRule: String, Sendable, Codable, CaseIterable {
    case off
    case everywhere
    case countries
}

/// How a store asks for reviews: when, how often, how many a day, and not at night.
public struct RequestSettings: Sendable, Equatable {
    /// Days from fulfilment to the request email.
    public var delayDays = 7
    /// Days from the request email to each reminder. One reminder, 13 days on, by default: a field
    /// study of 300 000+ buyers found that a next-day reminder lowers the number of reviews.
    public var reminderDays = [13]
    /// Request and reminder emails a day at most, counted in the store's time zone.
    public var dailyCap = 1_000
    /// Local hours in which no request leaves (from start, up to end): due ones wait for the morning.
    public var quietStartHour = 21
    public var quietEndHour = 8
    public var timeZone = "UTC"
    public var language = RequestLanguage.en
    /// The store's own words, per language; `{store}`, `{order}`, `{name}` (the first name) and
    /// `{product}` (the first product's name) are filled in.
    public var texts: [RequestLanguage: RequestCustomText] = [:]
    /// Ask only buyers who agreed to marketing email: nowhere, everywhere or in `consentCountries`.
    public var consentRule = ConsentRule.off
    /// ISO 3166 alpha-2 codes, upper case (used with `.countries`).
    public var consentCountries: [String] = []

    public init() {}

    /// Whether a buyer with this consent (nil: the shop said nothing, which is not a yes) and
    /// country may be asked.
    public func consentAllows(consent: Bool?, country: String?) -> Bool {
        switch consentRule {
        case .off: return true
        case .everywhere: return consent == true
        case .countries:
            guard let country, consentCountries.contains(country.uppercased()) else { return true }
            return consent == true
        }
    }

    /// `DE, AT,fr` → `["DE", "AT", "FR"]`; a word that is not two letters is refused.
    public static func countries(from text: String) throws(CareError) -> [String] {
        var out: [String] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }) {
            guard part.count == 2, part.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw .invalid("consent_countries", "list two-letter country codes such as DE, AT, FR")
            }
            let code = part.uppercased()
            if !out.contains(code) { out.append(code) }
        }
        guard out.count <= 250 else { throw .invalid("consent_countries", "at most 250 countries") }
        return out
    }

    public static let limits = (delayDays: 0...60, reminders: 0...2, reminderDays: 1...90, dailyCap: 1...100_000, hour: 0...23)

    /// Checks every field and says which one is wrong.
    public func validated() throws(CareError) -> RequestSettings {
        guard Self.limits.delayDays.contains(delayDays) else { throw .invalid("delay_days", "must be from 0 to 60") }
        guard Self.limits.reminders.contains(reminderDays.count) else { throw .invalid("reminder_days", "at most 2 reminders") }
        for (i, d) in reminderDays.enumerated() {
            guard Self.limits.reminderDays.contains(d) else { throw .invalid("reminder_days", "each must be from 1 to 90 days") }
            if i > 0, d <= reminderDays[i - 1] { throw .invalid("reminder_days", "each reminder must come after the one before") }
        }
        guard Self.limits.dailyCap.contains(dailyCap) else { throw .invalid("daily_cap", "must be from 1 to 100000") }
        guard Self.limits.hour.contains(quietStartHour) else { throw .invalid("quiet_start_hour", "must be an hour from 0 to 23") }
        guard Self.limits.hour.contains(quietEndHour) else { throw .invalid("quiet_end_hour", "must be an hour from 0 to 23") }
        guard consentCountries.count <= 250,
            consentCountries.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isUppercase && $0.isLetter } })
        else { throw .invalid("consent_countries", "list two-letter country codes such as DE, AT, FR") }
        if consentRule == .countries, consentCountries.isEmpty {
            throw .invalid("consent_countries", "name at least one country, or ask for consent everywhere")
        }
        guard timeZone.utf8.count <= 64, TimeZone(identifier: timeZone) != nil else {
            throw .invalid("time_zone", "must be a time zone name such as Europe/Berlin")
        }
        var checked = self
        for (language, t) in texts {
            let subject = try Text.singleLine(
                try Text.optional(t.subject, field: "subject_\(language.rawValue)", max: 200), field: "subject_\(language.rawValue)")
            let intro = try Text.optional(t.intro, field: "intro_\(language.rawValue)", max: 2_000)
            for (field, value) in [("subject_\(language.rawValue)", subject), ("intro_\(language.rawValue)", intro)] {
                if let unknown = value.flatMap({ RequestTexts.unknownPlaceholders($0).first }) {
                    throw .invalid(field, "{\(unknown)} is not a placeholder; use {store}, {order}, {name} or {product}")
                }
            }
            checked.texts[language] = subject == nil && intro == nil ? nil : RequestCustomText(subject: subject, intro: intro)
        }
        return checked
    }

    var zone: TimeZone { TimeZone(identifier: timeZone) ?? TimeZone(identifier: "UTC")! }

    /// `13,30` in the table.
    var reminderText: String { reminderDays.map(String.init).joined(separator: ",") }

    static func reminders(from text: String) -> [Int] {
        text.split(separator: ",").compactMap { Int($0) }
    }
}

extension RequestSettings {
    /// The same, read outside a write (the pages).
    public static func load(storeID: UUID, on db: any Database) async throws -> RequestSettings {
        try await load(storeID: storeID, on: db.sql)
    }

    /// The store's settings, or the defaults when it never changed them.
    public static func load(storeID: UUID, on sql: any SQLDatabase) async throws -> RequestSettings {
        guard
            let row = try await sql.raw(
                """
                SELECT delay_days, reminder_days, daily_cap, quiet_start_hour, quiet_end_hour, time_zone, language,
                consent_rule, consent_countries FROM request_settings WHERE store_id = \(bind: storeID)
                """
            ).first()
        else { return RequestSettings() }
        var s = RequestSettings()
        s.delayDays = try row.decode(column: "delay_days", as: Int.self)
        s.reminderDays = reminders(from: try row.decode(column: "reminder_days", as: String.self))
        s.dailyCap = try row.decode(column: "daily_cap", as: Int.self)
        s.quietStartHour = try row.decode(column: "quiet_start_hour", as: Int.self)
        s.quietEndHour = try row.decode(column: "quiet_end_hour", as: Int.self)
        s.timeZone = try row.decode(column: "time_zone", as: String.self)
        s.language = RequestLanguage(rawValue: try row.decode(column: "language", as: String.self)) ?? .en
        s.consentRule = ConsentRule(rawValue: try row.decode(column: "consent_rule", as: String.self)) ?? .off
        s.consentCountries = (try? countries(from: try row.decode(column: "consent_countries", as: String.self))) ?? []
        for t in try await sql.raw("SELECT language, subject, intro FROM request_templates WHERE store_id = \(bind: storeID)").all() {
            guard let language = RequestLanguage(rawValue: try t.decode(column: "language", as: String.self)) else { continue }
            s.texts[language] = RequestCustomText(
                subject: try t.decode(column: "subject", as: String?.self), intro: try t.decode(column: "intro", as: String?.self))
        }
        return s
    }

    /// Stores the settings (validated first); the day's sending count is kept.
    public static func save(_ settings: RequestSettings, storeID: UUID, storage: CareStorage, on db: any Database) async throws {
        let s = try settings.validated()
        try await storage.write(on: db) { tx in
            try await tx.raw(
                """
                INSERT INTO request_settings (store_id, delay_days, reminder_days, daily_cap, quiet_start_hour, quiet_end_hour, time_zone, language, cap_used,
                consent_rule, consent_countries)
                VALUES (\(bind: storeID), \(bind: s.delayDays), \(bind: s.reminderText), \(bind: s.dailyCap), \(bind: s.quietStartHour),
                \(bind: s.quietEndHour), \(bind: s.timeZone), \(bind: s.language.rawValue), 0, \(bind: s.consentRule.rawValue),
                \(bind: s.consentCountries.joined(separator: ",")))
                ON CONFLICT (store_id) DO UPDATE SET delay_days = excluded.delay_days, reminder_days = excluded.reminder_days,
                daily_cap = excluded.daily_cap, quiet_start_hour = excluded.quiet_start_hour, quiet_end_hour = excluded.quiet_end_hour,
                time_zone = excluded.time_zone, language = excluded.language, consent_rule = excluded.consent_rule,
                consent_countries = excluded.consent_countries
                """
            ).run()
            try await tx.raw("DELETE FROM request_templates WHERE store_id = \(bind: storeID)").run()
            for (language, t) in s.texts {
                try await tx.raw(
                    """
                    INSERT INTO request_templates (store_id, language, subject, intro)
                    VALUES (\(bind: storeID), \(bind: language.rawValue), \(bind: t.subject), \(bind: t.intro))
                    """
                ).run()
            }
        }
    }

    /// Takes one of today's sends, atomically in SQL: two nodes sweeping together cannot both take
    /// the last one. False when the store's cap for its local day is used up.
    static func takeDailySlot(storeID: UUID, settings: RequestSettings, now: Date, on sql: any SQLDatabase) async throws -> Bool {
        let s = settings
        try await sql.raw(
            """
            INSERT INTO request_settings (store_id, delay_days, reminder_days, daily_cap, quiet_start_hour, quiet_end_hour, time_zone, language, cap_used)
            VALUES (\(bind: storeID), \(bind: s.delayDays), \(bind: s.reminderText), \(bind: s.dailyCap), \(bind: s.quietStartHour),
            \(bind: s.quietEndHour), \(bind: s.timeZone), \(bind: s.language.rawValue), 0)
            ON CONFLICT (store_id) DO NOTHING
            """
        ).run()
        let day = RequestSchedule.localDay(now, in: s.zone)
        let taken = try await sql.raw(
            """
            UPDATE request_settings SET cap_used = CASE WHEN cap_day = \(bind: day) THEN cap_used + 1 ELSE 1 END, cap_day = \(bind: day)
            WHERE store_id = \(bind: storeID) AND (cap_day IS NULL OR cap_day <> \(bind: day) OR cap_used < daily_cap)
            RETURNING cap_used
            """
        ).first()
        return taken != nil
    }
}

import FluentKit
import Foundation
import SQLKit

/// Which language care speaks to a customer, and the texts it speaks in it.
///
/// A customer's language is their latest order's locale when CareLoop speaks it (English and
/// German), else the store's request language. A template may carry a text per language: a line
/// holding only `[de]` starts the German text, `[en]` the English; what comes before the first such
/// line is for every other language.
public enum CareLanguage {
    public static func of(customerID: UUID, storeID: UUID, on sql: any SQLDatabase) async throws -> RequestLanguage {
        if let spoken = try await spokenFromOrders(customerID: customerID, storeID: storeID, on: sql) { return spoken }
        return try await RequestSettings.load(storeID: storeID, on: sql).language
    }

    /// The language of the customer's latest order that carries one, if CareLoop speaks it.
    public static func spokenFromOrders(customerID: UUID, storeID: UUID, on sql: any SQLDatabase) async throws -> RequestLanguage? {
        let locale = try await sql.raw(
            """
            SELECT locale FROM orders WHERE store_id = \(bind: storeID) AND customer_id = \(bind: customerID) AND locale IS NOT NULL
            ORDER BY placed_at DESC LIMIT 1
            """
        ).first()?.decode(column: "locale", as: String?.self)
        return spoken(locale)
    }

    /// "de", "de-AT", "de_CH" → German; a language CareLoop does not speak → nil.
    public static func spoken(_ tag: String?) -> RequestLanguage? {
        guard let tag, tag.utf8.count <= 64 else { return nil }
        return RequestLanguage(rawValue: String(tag.prefix { $0.isLetter }).lowercased())
    }

    /// The first language CareLoop speaks in an `Accept-Language` header, by the reader's order of
    /// preference (quality values), looking at no more than 16 entries.
    public static func preferred(acceptLanguage header: String?) -> RequestLanguage? {
        guard let header, header.utf8.count <= 1_000 else { return nil }
        var best: (RequestLanguage, Double)?
        for entry in header.split(separator: ",").prefix(16) {
            let parts = entry.split(separator: ";")
            guard let language = spoken(parts.first.map { $0.trimmingCharacters(in: .whitespaces) }) else { continue }
            var q = 1.0
            for p in parts.dropFirst() {
                let kv = p.trimmingCharacters(in: .whitespaces)
                // A quality that is not a number in 0...1 is no preference at all.
                if kv.hasPrefix("q=") { q = Double(kv.dropFirst(2)).flatMap { $0.isFinite ? min(1, max(0, $0)) : nil } ?? 0 }
            }
            if q > 0, q > (best?.1 ?? -1) { best = (language, q) }
        }
        return best?.0
    }

    /// The marker a line or word is, if it is one: `[en]` or `[de]` exactly (CareLoop's languages only,
    /// so a "[PS]" or "[UK]" in a text stays text).
    static func marker(_ s: some StringProtocol) -> String? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard t.count == 4, t.hasPrefix("["), t.hasSuffix("]") else { return nil }
        let code = String(t.dropFirst().dropLast())
        return RequestLanguage(rawValue: code) == nil ? nil : code
    }

    /// The text for `language` from its sections: its own, else the untagged text, else English,
    /// else any other; a section of only blanks counts as missing, and the whole text is the last
    /// resort, so what goes out is never empty when the template is not.
    static func choose(_ sections: [String: String], order: [String], language: RequestLanguage, whole: String) -> String {
        func filled(_ k: String) -> String? { sections[k].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 } }
        return filled(language.rawValue) ?? filled("") ?? filled("en") ?? order.lazy.compactMap(filled).first ?? whole
    }

    /// The text of `template` for `language` (see the type's note); built-in texts stored before
    /// they spoke German are read as the ones that do. A language marked twice keeps both parts.
    public static func localized(_ template: String, to language: RequestLanguage) -> String {
        let template = DefaultTriggers.bilingual[template] ?? template
        var sections: [String: [Substring]] = [:]
        var order: [String] = [""]
        var current = ""
        var marked = false
        for line in template.split(separator: "\n", omittingEmptySubsequences: false) {
            if let code = marker(line) {
                current = code
                marked = true
                if sections[code] == nil { order.append(code) }
                continue
            }
            sections[current, default: []].append(line)
        }
        guard marked else { return template }
        let joined = sections.mapValues { $0.joined(separator: "\n").trimmingCharacters(in: .newlines) }
        return choose(joined, order: order, language: language, whole: template)
    }

    /// A one-line text (a subject) for `language`: a ` [de] ` word starts the German part of the line.
    public static func localizedLine(_ line: String, to language: RequestLanguage) -> String {
        let line = DefaultTriggers.bilingual[line] ?? line
        var parts: [String: String] = [:]
        var order: [String] = [""]
        var current = ""
        var marked = false
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if let code = marker(word) {
                current = code
                marked = true
                if parts[code] == nil { order.append(code) }
                continue
            }
            parts[current] = (parts[current].map { $0 + " " } ?? "") + word
        }
        guard marked else { return line }
        return choose(parts.mapValues { $0.trimmingCharacters(in: .whitespaces) }, order: order, language: language, whole: line)
    }

    /// A greeting placeholder's stand-in when the first name is not known.
    public static func firstNameFallback(_ language: RequestLanguage) -> String {
        language == .de ? "" : "there"
    }
}

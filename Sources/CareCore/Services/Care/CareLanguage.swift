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
                if kv.hasPrefix("q="), let v = Double(kv.dropFirst(2)), v.isFinite { q = min(1, max(0, v)) }
            }
            if q > 0, q > (best?.1 ?? -1) { best = (language, q) }
        }
        return best?.0
    }

    /// The text of `template` for `language` (see the type's note); built-in texts stored before
    /// they spoke German are read as the ones that do.
    public static func localized(_ template: String, to language: RequestLanguage) -> String {
        let template = DefaultTriggers.bilingual[template] ?? template
        var sections: [String: [Substring]] = [:]
        var current = ""
        for line in template.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.count >= 4, t.count <= 5, t.hasPrefix("["), t.hasSuffix("]"), t.dropFirst().dropLast().allSatisfy({ $0.isLetter && $0.isASCII }) {
                current = String(t.dropFirst().dropLast()).lowercased()
                sections[current, default: []] = []
                continue
            }
            sections[current, default: []].append(line)
        }
        guard sections.count > 1 else { return template }
        let untagged = sections[""].flatMap { $0.contains { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ? $0 : nil }
        let chosen = sections[language.rawValue] ?? untagged ?? sections["en"] ?? []
        return chosen.joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    /// A one-line text (a subject) for `language`: ` [de] ` starts the German part of the line.
    public static func localizedLine(_ line: String, to language: RequestLanguage) -> String {
        let line = DefaultTriggers.bilingual[line] ?? line
        guard line.contains(" [") else { return line }
        var parts: [String: String] = [:]
        var current = ""
        var text = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if word.count >= 4, word.count <= 5, word.hasPrefix("["), word.hasSuffix("]"), word.dropFirst().dropLast().allSatisfy({ $0.isLetter && $0.isASCII }) {
                parts[current] = text.trimmingCharacters(in: .whitespaces)
                current = String(word.dropFirst().dropLast()).lowercased()
                text = ""
            } else {
                text += (text.isEmpty ? "" : " ") + word
            }
        }
        parts[current] = text.trimmingCharacters(in: .whitespaces)
        guard parts.count > 1 else { return line }
        return parts[language.rawValue] ?? parts[""].flatMap { $0.isEmpty ? nil : $0 } ?? parts["en"] ?? line
    }

    /// A greeting placeholder's stand-in when the first name is not known.
    public static func firstNameFallback(_ language: RequestLanguage) -> String {
        language == .de ? "" : "there"
    }
}

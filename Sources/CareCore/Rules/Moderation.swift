import Foundation

/// What content rules decide about a new or edited review.
public enum ModerationDecision: Sendable, Equatable {
    case publish
    /// Held for a person to look at; published anyway at the store's deadline unless rejected.
    case hold(rule: String, reason: String)
}

/// The text a rule looks at. The rating is deliberately absent: no content rule may see the stars,
/// so no rule can hold a review for being negative.
public struct ReviewContent: Sendable {
    public var title: String?
    public var body: String?
    /// Earlier reviews of the same customer in this store (title + body), for the duplicate rule.
    public var earlierTextsBySameCustomer: [String]

    public init(title: String?, body: String?, earlierTextsBySameCustomer: [String] = []) {
        self.title = title
        self.body = body
        self.earlierTextsBySameCustomer = earlierTextsBySameCustomer
    }

    var combinedText: String { [title, body].compactMap { $0 }.joined(separator: "\n") }
}

/// One content rule. Rules are checked in order; the first that objects holds the review.
public protocol ContentRule: Sendable {
    var name: String { get }
    func objection(to content: ReviewContent) -> String?
}

public struct Moderation: Sendable {
    public var rules: [any ContentRule]

    public init(rules: [any ContentRule] = Moderation.standardRules) {
        self.rules = rules
    }

    public static let standardRules: [any ContentRule] = [LinkSpamRule(), ProfanityRule(), DuplicateRule()]

    public func decide(_ content: ReviewContent) -> ModerationDecision {
        for rule in rules {
            if let reason = rule.objection(to: content) {
                return .hold(rule: rule.name, reason: reason)
            }
        }
        return .publish
    }
}

/// More than one link in a review is how spam looks; one link (a photo, a tracking page) is fine.
public struct LinkSpamRule: ContentRule {
    public let name = "links"
    public var maxLinks: Int

    public init(maxLinks: Int = 1) { self.maxLinks = maxLinks }

    public func objection(to content: ReviewContent) -> String? {
        let n = Self.countLinks(in: content.combinedText)
        return n > maxLinks ? "contains \(n) links (more than \(maxLinks))" : nil
    }

    static func countLinks(in text: String) -> Int {
        // Most reviews have no link at all: a scan of the bytes for "http" or "www." says so cheaply.
        guard mayHoldLink(text) else { return 0 }
        return text.lowercased()
            .split(whereSeparator: { $0.isWhitespace || $0 == "(" || $0 == ")" || $0 == "<" || $0 == ">" })
            .filter { $0.hasPrefix("http://") || $0.hasPrefix("https://") || $0.hasPrefix("www.") }
            .count
    }

    /// Whether `text` contains "http" or "www." in any case (every link `countLinks` counts does).
    static func mayHoldLink(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 4 else { return false }
        for i in 0...(bytes.count - 4) {
            let a = bytes[i] | 0x20
            let b = bytes[i + 1] | 0x20
            let c = bytes[i + 2] | 0x20
            let d = bytes[i + 3]
            if a == 0x68, b == 0x74, c == 0x74, d | 0x20 == 0x70 { return true } // http
            if a == 0x77, b == 0x77, c == 0x77, d == 0x2E { return true } // www.
        }
        return false
    }
}

/// Whole-word match against a short list of slurs and obscenities. Kept small on purpose:
/// a long list holds honest angry reviews ("this crap broke") that must stay public.
public struct ProfanityRule: ContentRule {
    public let name = "profanity"
    public var words: Set<String>

    public init(words: Set<String> = ProfanityRule.defaultWords) { self.words = words }

    public static let defaultWords: Set<String> = [
        "fuck", "fucking", "fucker", "motherfucker", "cunt", "cunts", "nigger", "niggers",
        "faggot", "faggots", "retard", "retards", "whore", "slut", "dickhead", "asshole", "assholes",
    ]

    public func objection(to content: ReviewContent) -> String? {
        let text = content.combinedText
        // ASCII text (most reviews) is split on its bytes; Unicode's letter tables only for the rest.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            var token: [UInt8] = []
            for byte in text.utf8 + [0x20] {
                let lower = byte | 0x20
                if lower >= 0x61 && lower <= 0x7A {
                    token.append(lower)
                    continue
                }
                if !token.isEmpty, token.count <= 64, words.contains(String(decoding: token, as: UTF8.self)) {
                    return "contains a listed word (\(Character(UnicodeScalar(token[0])))…)"
                }
                token.removeAll(keepingCapacity: true)
            }
            return nil
        }
        let tokens = text.lowercased().split(whereSeparator: { !$0.isLetter })
        if let hit = tokens.first(where: { words.contains(String($0)) }) {
            return "contains a listed word (\(hit.prefix(1))…)"
        }
        return nil
    }
}

/// The same text posted again by the same customer (a double submit or a copy-paste campaign).
/// Star-only reviews have no text and are never duplicates of each other.
public struct DuplicateRule: ContentRule {
    public let name = "duplicate"
    public init() {}

    public func objection(to content: ReviewContent) -> String? {
        guard !content.earlierTextsBySameCustomer.isEmpty else { return nil }
        let text = Self.normalise(content.combinedText)
        guard !text.isEmpty else { return nil }
        return content.earlierTextsBySameCustomer.contains(where: { Self.normalise($0) == text })
            ? "same text as an earlier review by this customer" : nil
    }

    static func normalise(_ s: String) -> String {
        s.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}

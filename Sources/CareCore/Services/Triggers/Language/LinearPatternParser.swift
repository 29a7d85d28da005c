import Foundation

extension LinearPattern {
    // MARK: - Parser

    struct Parser {
        typealias SyntaxError = LinearPattern.SyntaxError
        let s: [Unicode.Scalar]
        var i = 0

        init(_ s: [Unicode.Scalar]) { self.s = s }

        private var atEnd: Bool { i >= s.count }
        private func peek(_ offset: Int = 0) -> Unicode.Scalar? { i + offset < s.count ? s[i + offset] : nil }

        mutating func parsePattern() throws(SyntaxError) -> [Alternative] {
            var alternatives: [Alternative] = []
            while true {
                alternatives.append(try parseTopAlternative())
                if atEnd { return alternatives }
                if peek() == ")" { throw SyntaxError("unbalanced parenthesis: ')' without a matching '('") }
                i += 1 // "|"
            }
        }

        private mutating func parseTopAlternative() throws(SyntaxError) -> Alternative {
            var alt = Alternative()
            if peek() == "^" {
                alt.caret = true
                i += 1
            }
            if peek() == "\\" && peek(1) == "b" {
                alt.leadingBoundary = true
                i += 2
            }
            var items: [Node] = []
            while let c = peek(), c != "|", c != ")" {
                if c == "$" {
                    guard isAlternativeEnd(i + 1) else { throw SyntaxError(Self.dollarMessage) }
                    alt.dollar = true
                    i += 1
                } else if c == "\\" && peek(1) == "b" {
                    // Only `\b` or `\b$` may close a top-level alternative.
                    let end = peek(2) == "$" ? i + 3 : i + 2
                    guard isAlternativeEnd(end) else { throw SyntaxError(Self.boundaryMessage) }
                    alt.trailingBoundary = true
                    alt.dollar = peek(2) == "$"
                    i = end
                } else {
                    items.append(try parseQuantified())
                }
            }
            alt.body = .concat(items)
            return alt
        }

        private func isAlternativeEnd(_ j: Int) -> Bool { j >= s.count || s[j] == "|" || s[j] == ")" }

        static let boundaryMessage =
            "\\b (word boundary) is only supported at the start or end of the pattern or of a top-level alternative"
        static let caretMessage =
            "^ (start anchor) is only supported at the start of the pattern or of a top-level alternative"
        static let dollarMessage =
            "$ (end anchor) is only supported at the end of the pattern or of a top-level alternative"

        /// Alternatives inside a group.
        private mutating func parseAlternation() throws(SyntaxError) -> Node {
            var branches: [Node] = []
            while true {
                var items: [Node] = []
                while let c = peek(), c != "|", c != ")" { items.append(try parseQuantified()) }
                branches.append(.concat(items))
                guard peek() == "|" else { break }
                i += 1
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        private mutating func parseQuantified() throws(SyntaxError) -> Node {
            let atom = try parseAtom()
            guard let q = try parseQuantifier() else { return atom }
            if peek() == "?" { i += 1 } // lazy: same yes/no answer
            if peek() == "+" { throw SyntaxError("possessive quantifiers such as *+ are not supported") }
            if let c = peek(), c == "*" || c == "+" || c == "?" || (c == "{" && looksLikeCount()) {
                throw SyntaxError("a quantifier cannot directly follow another quantifier; use a group, e.g. (a{2}){3}")
            }
            switch q {
            case (0, nil): return .star(atom)
            case (1, nil): return .plus(atom)
            case (0, 1): return .optional(atom)
            case (let lo, let hi): return .repeated(atom, min: lo, max: hi)
            }
        }

        /// Parses `* + ? {m} {m,} {m,n}` if present.
        private mutating func parseQuantifier() throws(SyntaxError) -> (Int, Int?)? {
            switch peek() {
            case "*":
                i += 1
                return (0, nil)
            case "+":
                i += 1
                return (1, nil)
            case "?":
                i += 1
                return (0, 1)
            case "{":
                guard looksLikeCount() else { throw SyntaxError(Self.braceMessage) }
                i += 1
                let lo = readNumber()!
                var hi: Int? = lo
                if peek() == "," {
                    i += 1
                    hi = readNumber()
                }
                i += 1 // "}"
                if lo > 100 || (hi ?? 0) > 100 { throw SyntaxError("a repetition count above 100 is not supported") }
                if let hi, hi < lo { throw SyntaxError("in a repetition {\(lo),\(hi)} the minimum exceeds the maximum") }
                return (lo, hi)
            default: return nil
            }
        }

        static let braceMessage = "'{' must start a repetition count such as {3} or {2,5}; write \\{ for a literal brace"

        /// `{` digits (`,` digits?)? `}` at the current index.
        private func looksLikeCount() -> Bool {
            var j = i + 1
            func digits() -> Bool {
                let start = j
                while j < s.count, ("0"..."9").contains(s[j]) { j += 1 }
                return j > start
            }
            guard digits() else { return false }
            if j < s.count, s[j] == "," {
                j += 1
                _ = digits()
            }
            return j < s.count && s[j] == "}"
        }

        /// Reads decimal digits, saturating at 1000 (anything above 100 is refused anyway).
        private mutating func readNumber() -> Int? {
            var n: Int?
            while let c = peek(), ("0"..."9").contains(c) {
                n = min((n ?? 0) * 10 + Int(c.value - 48), 1000)
                i += 1
            }
            return n
        }

        private mutating func parseAtom() throws(SyntaxError) -> Node {
            let c = s[i]
            switch c {
            case "(":
                i += 1
                try parseGroupPrefix()
                let inner = try parseAlternation()
                guard peek() == ")" else { throw SyntaxError("unbalanced parenthesis: missing ')'") }
                i += 1
                return inner
            case "[":
                return .atom(try parseClass())
            case ".":
                i += 1
                return .atom(.anyButNewline)
            case "\\":
                if peek(1) == "b" { throw SyntaxError(Self.boundaryMessage) }
                i += 1
                return .atom(try parseEscape(inClass: false).matcher)
            case "^":
                throw SyntaxError(Self.caretMessage)
            case "$":
                throw SyntaxError(Self.dollarMessage)
            case "*", "+", "?":
                throw SyntaxError("nothing to repeat before '\(c)'")
            case "{":
                throw SyntaxError(looksLikeCount() ? "nothing to repeat before '{'" : Self.braceMessage)
            default:
                i += 1
                return .atom(.literal(ScalarInfo(c).lower))
            }
        }

        /// After `(`: accepts `?:`, refuses every other `(?` form by name.
        private mutating func parseGroupPrefix() throws(SyntaxError) {
            guard peek() == "?" else { return }
            switch (peek(1), peek(2)) {
            case (":", _):
                i += 2
                return
            case ("=", _), ("!", _): throw SyntaxError("lookahead assertions such as (?= and (?! are not supported")
            case ("<", "="), ("<", "!"): throw SyntaxError("lookbehind assertions such as (?<= and (?<! are not supported")
            case ("<", _), ("P", _), ("'", _): throw SyntaxError("named groups are not supported; use (?: ) or ( )")
            case (">", _): throw SyntaxError("atomic groups (?> are not supported")
            case ("#", _): throw SyntaxError("comments (?# are not supported")
            case (let c?, _) where c.properties.isAlphabetic || c == "-":
                throw SyntaxError("inline options such as (?i) are not supported; matching is always case-insensitive")
            default: throw SyntaxError("unsupported group syntax '(?'")
            }
        }

        private enum Escape {
            case scalar(Unicode.Scalar), item(ClassItem)

            var matcher: Matcher {
                switch self {
                case .scalar(let c): return .literal(ScalarInfo(c).lower)
                case .item(let item): return .set([item], negated: false)
                }
            }
        }

        /// After a backslash (already consumed).
        private mutating func parseEscape(inClass: Bool) throws(SyntaxError) -> Escape {
            guard let e = peek() else { throw SyntaxError("the pattern ends with a lone backslash") }
            i += 1
            switch e {
            case "d", "D": return .item(.digit(negated: e == "D"))
            case "w", "W": return .item(.word(negated: e == "W"))
            case "s", "S": return .item(.space(negated: e == "S"))
            case "n": return .scalar("\n")
            case "t": return .scalar("\t")
            case "r": return .scalar("\r")
            case "1"..."9", "k", "g": throw SyntaxError("backreferences such as \\1 are not supported")
            case "0": throw SyntaxError("octal escapes such as \\0 are not supported")
            case "b": throw SyntaxError(inClass ? "\\b is not supported inside a character class" : Self.boundaryMessage)
            case "B": throw SyntaxError("\\B (non-word-boundary) is not supported")
            case "A", "z", "Z", "G": throw SyntaxError("the anchor \\\(e) is not supported; use ^ or $")
            case "p", "P": throw SyntaxError("Unicode property classes such as \\p{L} are not supported")
            case "x", "u", "U": throw SyntaxError("hex escapes such as \\x41 are not supported; type the character itself")
            case "Q", "E": throw SyntaxError("\\Q…\\E quoting is not supported; escape each metacharacter")
            default:
                // Escaped ASCII punctuation (and space) is that character, as in every regex dialect.
                if e.value >= 0x20 && e.value < 0x7F && !e.properties.isAlphabetic && !("0"..."9").contains(e) {
                    return .scalar(e)
                }
                throw SyntaxError("unknown escape \\\(e)")
            }
        }

        /// `[...]` at the current index.
        private mutating func parseClass() throws(SyntaxError) -> Matcher {
            i += 1
            let negated = peek() == "^"
            if negated { i += 1 }
            var items: [ClassItem] = []
            var firstItem = true
            while true {
                guard let c = peek() else { throw SyntaxError("unbalanced bracket: missing ']'") }
                if c == "]" {
                    if firstItem { throw SyntaxError("empty character class '[]'; write \\] for a literal bracket") }
                    i += 1
                    return .set(items, negated: negated)
                }
                if c == "[" { throw SyntaxError("nested character classes and [:name:] are not supported; write \\[") }
                if c == "&" && peek(1) == "&" { throw SyntaxError("class intersection && is not supported") }
                if c == "-" && !firstItem && peek(1) != "]" {
                    throw SyntaxError("write \\- for a literal '-' inside a character class")
                }
                firstItem = false
                let lowEnd: Unicode.Scalar
                switch try parseClassMember() {
                case .item(let item):
                    items.append(item)
                    continue
                case .scalar(let s): lowEnd = s
                }
                // A range `a-z`, unless the '-' is the last character of the class.
                guard peek() == "-", let after = peek(1), after != "]" else {
                    items.append(.range(lowEnd.value, lowEnd.value))
                    continue
                }
                i += 1
                if after == "-" || after == "[" { throw SyntaxError("invalid range end in a character class") }
                guard case .scalar(let highEnd) = try parseClassMember() else {
                    throw SyntaxError("a range cannot end with a class such as \\d")
                }
                if highEnd.value < lowEnd.value { throw SyntaxError("the range \(lowEnd)-\(highEnd) is reversed") }
                items.append(.range(lowEnd.value, highEnd.value))
            }
        }

        private mutating func parseClassMember() throws(SyntaxError) -> Escape {
            let c = s[i]
            i += 1
            return c == "\\" ? try parseEscape(inClass: true) : .scalar(c)
        }
    }
}

import Foundation

/// A regular expression restricted to what can be matched in linear time, used by the `matches` trigger operator.
///
/// Swift's `Regex` backtracks, so a store owner's `(a+)+$` could stall the shared write queue for a minute.
/// This type compiles the pattern into a Glushkov (position) automaton and simulates it over the text one
/// Unicode scalar at a time: the cost is O(text length) with a constant bounded by `maxPositions`, whatever the
/// pattern. Matching is an unanchored search, always case-insensitive; pattern and text are compared in NFC.
///
/// Supported: literal scalars, `.` (any scalar but `\n`), `\d \D \w \W \s \S`, `\n \t \r`, escaped ASCII
/// punctuation (`\. \( \$` …), bracket classes (`[a-z0-9_]`, `[^…]`, with `\d \w \s` inside), groups `( )` and
/// `(?: )`, `|`, `* + ?`, their lazy forms, `{m}` `{m,}` `{m,n}` (m, n ≤ 100), `^` and a leading `\b` at the start
/// of a top-level alternative, a trailing `\b` and `$` at its end (`$` means the very end of the text).
/// Everything else (backreferences, lookarounds, named groups, possessive quantifiers, inner anchors, …) is
/// refused with a `SyntaxError` explaining what is unsupported.
public struct LinearPattern: Sendable, Equatable {
    public static let maxPatternLength = 200 // characters of the source pattern
    public static let maxPositions = 128 // automaton positions after expanding {m,n}

    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    public let source: String
    /// Total automaton positions over all alternatives; a rough cost measure.
    public let positionCount: Int

    private let matchers: [Matcher] // distinct matchers; copies from {m,n} share one
    private let matcherPositions: [Bits] // the positions of each distinct matcher
    private let followTable: [Bits] // [nibble * 16 + value] → union of follow sets of those positions
    private let asciiTable: [Bits] // positions accepting each ASCII scalar
    private let firstFree, firstCaret, firstBoundary, firstCaretBoundary: Bits
    private let lastFree, lastBoundary, lastDollar, lastDollarBoundary: Bits
    private let empty: EmptyMatch // when an alternative can match the empty string

    public static func == (a: LinearPattern, b: LinearPattern) -> Bool { a.source == b.source }

    /// Compiles, or throws a `SyntaxError` with a short human message saying what is wrong or unsupported.
    public init(_ source: String) throws(LinearPattern.SyntaxError) {
        self.source = source
        if source.isEmpty { throw SyntaxError("the pattern is empty") }
        // Counted in scalars: one "character" can carry thousands of combining marks.
        if source.unicodeScalars.count > Self.maxPatternLength {
            throw SyntaxError("the pattern is longer than \(Self.maxPatternLength) characters")
        }
        var parser = Parser(Array(source.precomposedStringWithCanonicalMapping.unicodeScalars))
        let alternatives = try parser.parsePattern()

        // Refuse before expanding, so `((a{100}){100}){100}` never allocates anything large.
        let total = alternatives.reduce(0) { min($0 + $1.body.positionCount, Int.max / 2) }
        if total > Self.maxPositions {
            throw SyntaxError("the pattern is too complex (over \(Self.maxPositions) positions)")
        }

        var builder = Builder()
        var firsts = [Bits](repeating: Bits(), count: 4)
        var lasts = [Bits](repeating: Bits(), count: 4)
        var empty = EmptyMatch()
        for alt in alternatives {
            let g = builder.build(alt.body.expanded())
            let boundary = alt.leadingBoundary || alt.trailingBoundary
            firsts[(alt.caret ? 1 : 0) + (alt.leadingBoundary ? 2 : 0)].formUnion(g.first)
            lasts[(alt.dollar ? 1 : 0) + (alt.trailingBoundary ? 2 : 0)].formUnion(g.last)
            guard g.nullable else { continue }
            // The empty match sits at one text index p; every anchor of the alternative applies to that same p.
            switch (alt.caret, alt.dollar, boundary) {
            case (true, true, false): empty.ifTextEmpty = true
            case (_, _, false): empty.always = true
            case (false, false, true): empty.atAnyBoundary = true
            case (true, false, true): empty.atStartBoundary = true
            case (false, true, true): empty.atEndBoundary = true
            case (true, true, true): break // p = 0 = end needs an empty text, which has no boundary
            }
        }
        (positionCount, matchers, matcherPositions) = (builder.positionCount, builder.matchers, builder.positionsOf)
        (firstFree, firstCaret, firstBoundary, firstCaretBoundary) = (firsts[0], firsts[1], firsts[2], firsts[3])
        (lastFree, lastDollar, lastBoundary, lastDollarBoundary) = (lasts[0], lasts[1], lasts[2], lasts[3])
        self.empty = empty

        // Union of follow sets by 4-bit slices of a state set: at most 32 lookups per scalar, no hashing.
        let nibbles = (positionCount + 3) / 4
        var table = [Bits](repeating: Bits(), count: nibbles * 16)
        for k in 0..<nibbles {
            for v in 1..<16 {
                let p = k * 4 + v.trailingZeroBitCount
                let rest = table[k * 16 + (v & (v - 1))]
                table[k * 16 + v] = p < positionCount ? rest.union(builder.follow[p]) : rest
            }
        }
        followTable = table
        asciiTable = (0..<128).map {
            Self.accepting(ScalarInfo(Unicode.Scalar(UInt8($0))), builder.matchers, builder.positionsOf)
        }
    }

    /// Whether the pattern matches anywhere in `text` (unanchored search), case-insensitively.
    public func matches(in text: String) -> Bool {
        if empty.always { return true }
        let text = Self.needsNormalization(text) ? text.precomposedStringWithCanonicalMapping : text
        // Nothing can start after index 0 when every alternative is `^`-anchored: stop once the set dies out.
        let canStartLater =
            !firstFree.isEmpty || !firstBoundary.isEmpty || empty.atAnyBoundary || empty.atEndBoundary
        var state = Bits()
        var prevWord = false
        var atStart = true
        var pendingBoundary = false // a `…\b` alternative ended on the previous scalar; needs a boundary next
        var memo: [Memo] = [] // allocated on the first non-ASCII scalar
        // Memo slots grow with the text (64...4096) so short texts allocate little and long ones rarely miss.
        let memoBits = min(max((text.utf8.count / 4).bitWidth - (text.utf8.count / 4).leadingZeroBitCount, 6), 12)

        return followTable.withUnsafeBufferPointer { follow in
            asciiTable.withUnsafeBufferPointer { ascii in
                for c in text.unicodeScalars {
                    let accept: Bits
                    let word: Bool
                    if c.value < 128 {
                        accept = ascii[Int(c.value)]
                        word = Self.asciiWord[Int(c.value)]
                    } else {
                        // Case mappings and properties are slow to look up: memoize them per call.
                        if memo.isEmpty { memo = Array(repeating: Memo(), count: 1 << memoBits) }
                        let slot = Int(truncatingIfNeeded: (c.value &* 0x9E37_79B1) >> UInt32(32 - memoBits))
                        if memo[slot].scalar != c.value {
                            let info = ScalarInfo(c)
                            let bits = Self.accepting(info, matchers, matcherPositions)
                            memo[slot] = Memo(scalar: c.value, accept: bits, word: info.isWord)
                        }
                        (accept, word) = (memo[slot].accept, memo[slot].word)
                    }
                    let boundary = word != prevWord
                    var start = firstFree
                    if boundary {
                        if pendingBoundary || empty.atAnyBoundary || (atStart && empty.atStartBoundary) { return true }
                        start.formUnion(firstBoundary)
                        if atStart { start.formUnion(firstCaretBoundary) }
                    }
                    if atStart { start.formUnion(firstCaret) }
                    state = Self.followUnion(state, follow).union(start).intersection(accept)
                    if state.intersects(lastFree) { return true }
                    pendingBoundary = state.intersects(lastBoundary)
                    if state.isEmpty && !canStartLater { return false }
                    prevWord = word
                    atStart = false
                }
                // End of text: a boundary here means the last scalar was a word scalar.
                if atStart && empty.ifTextEmpty { return true }
                if state.intersects(lastDollar) { return true }
                if prevWord {
                    if pendingBoundary || state.intersects(lastDollarBoundary) { return true }
                    if empty.atAnyBoundary || empty.atEndBoundary { return true }
                }
                return false
            }
        }
    }

    // MARK: - Simulation helpers

    /// A direct-mapped memo entry for a non-ASCII scalar (collisions just recompute).
    private struct Memo {
        var scalar = UInt32.max, accept = Bits(), word = false
    }

    /// Union of the follow sets of every position in `s`, one table lookup per non-empty 4-bit slice.
    @inline(__always)
    private static func followUnion(_ s: Bits, _ table: UnsafeBufferPointer<Bits>) -> Bits {
        // Two accumulators keep the two halves' load-and-or chains independent.
        var low = Bits()
        var high = Bits()
        var w = s.lo
        while w != 0 {
            let k = w.trailingZeroBitCount >> 2
            low.formUnion(table[k &* 16 &+ Int(truncatingIfNeeded: (w >> UInt64(k &* 4)) & 0xF)])
            w &= ~(0xF << UInt64(k &* 4))
        }
        w = s.hi
        while w != 0 {
            let k = w.trailingZeroBitCount >> 2
            high.formUnion(table[(16 &+ k) &* 16 &+ Int(truncatingIfNeeded: (w >> UInt64(k &* 4)) & 0xF)])
            w &= ~(0xF << UInt64(k &* 4))
        }
        return low.union(high)
    }

    private static func accepting(_ c: ScalarInfo, _ matchers: [Matcher], _ positions: [Bits]) -> Bits {
        var bits = Bits()
        for (m, p) in zip(matchers, positions) where m.accepts(c) { bits.formUnion(p) }
        return bits
    }

    private static let asciiWord: [Bool] = (0..<128).map { ScalarInfo(Unicode.Scalar(UInt8($0))).isWord }

    /// Cheap pre-check: only text with combining marks or conjoining jamo can change under NFC.
    private static func needsNormalization(_ text: String) -> Bool {
        guard text.utf8.contains(where: { $0 >= 0xCC }) else { return false } // every scalar below U+0300
        return text.unicodeScalars.contains {
            switch $0.value {
            case ..<0x300, 0x3400...0x9FFF, 0xAC00...0xD7A3: return false // Latin-1, CJK, Hangul syllables
            case 0x1160...0x11FF, 0xD7B0...0xD7FF: return true // conjoining jamo
            default: return $0.properties.canonicalCombiningClass != .notReordered
            }
        }
    }
}

// Helper types are nested and file-private so their short names cannot clash within CareCore.
extension LinearPattern {
    // MARK: - Bit sets of positions

    /// A set of up to 128 automaton positions.
    fileprivate struct Bits: Equatable, Sendable {
        var lo: UInt64 = 0, hi: UInt64 = 0

        var isEmpty: Bool { lo | hi == 0 }
        mutating func insert(_ p: Int) { if p < 64 { lo |= 1 << UInt64(p) } else { hi |= 1 << UInt64(p - 64) } }
        func contains(_ p: Int) -> Bool { (p < 64 ? lo >> UInt64(p) : hi >> UInt64(p - 64)) & 1 == 1 }
        func union(_ o: Bits) -> Bits { Bits(lo: lo | o.lo, hi: hi | o.hi) }
        func intersection(_ o: Bits) -> Bits { Bits(lo: lo & o.lo, hi: hi & o.hi) }
        func intersects(_ o: Bits) -> Bool { (lo & o.lo) | (hi & o.hi) != 0 }
        mutating func formUnion(_ o: Bits) {
            lo |= o.lo
            hi |= o.hi
        }
        var members: [Int] { (0..<128).filter(contains) }
    }

    // MARK: - Character matching

    /// What matching needs to know about one scalar, looked up once: Unicode property lookups are slow.
    fileprivate struct ScalarInfo {
        let scalar: Unicode.Scalar
        let lower, upper: Unicode.Scalar // single-scalar case forms; the scalar itself where a mapping is longer
        let isWord, isDigit, isSpace: Bool

        init(_ c: Unicode.Scalar) {
            scalar = c
            if c.value < 128 {
                let v = UInt8(c.value)
                lower = (0x41...0x5A).contains(v) ? Unicode.Scalar(v | 0x20) : c
                upper = (0x61...0x7A).contains(v) ? Unicode.Scalar(v & ~0x20) : c
                isDigit = (0x30...0x39).contains(v)
                isWord = isDigit || (0x61...0x7A).contains(v | 0x20) || v == 0x5F
                isSpace = v == 0x20 || (0x09...0x0D).contains(v)
                return
            }
            switch c.value {
            case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7A3:
                // CJK ideographs and Hangul syllables (all Lo): the bulk of long non-Latin text.
                (lower, upper, isWord, isDigit, isSpace) = (c, c, true, false, false)
                return
            default: break
            }
            let p = c.properties
            let category = p.generalCategory
            // `\w` as in ICU: Alphabetic, marks, decimal digits, connector punctuation and the joiners.
            switch category {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .letterNumber,
                .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
                isWord = true
            case .otherSymbol:
                isWord = p.isAlphabetic // circled and squared letters
            default:
                isWord = c.value == 0x200C || c.value == 0x200D
            }
            isDigit = category == .decimalNumber
            // The Unicode White_Space property (stable), without a table lookup.
            switch c.value {
            case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: isSpace = true
            default: isSpace = false
            }
            // Only these categories contain scalars with case mappings, and an uppercase letter is its own
            // uppercase (likewise lowercase): build as few mapping strings as possible.
            switch category {
            case .uppercaseLetter: (lower, upper) = (Self.single(p.lowercaseMapping) ?? c, c)
            case .lowercaseLetter: (lower, upper) = (c, Self.single(p.uppercaseMapping) ?? c)
            case .titlecaseLetter, .letterNumber, .otherSymbol, .nonspacingMark:
                lower = Self.single(p.lowercaseMapping) ?? c
                upper = Self.single(p.uppercaseMapping) ?? c
            default:
                (lower, upper) = (c, c)
            }
        }

        private static func single(_ s: String) -> Unicode.Scalar? {
            var it = s.unicodeScalars.makeIterator()
            guard let first = it.next(), it.next() == nil else { return nil }
            return first
        }
    }

    fileprivate enum ClassItem: Sendable, Equatable {
        case range(UInt32, UInt32)
        case digit(negated: Bool), word(negated: Bool), space(negated: Bool)

        /// Ranges are tested on each case form; a scalar's case forms share its word/digit/space class.
        func contains(_ c: ScalarInfo) -> Bool {
            switch self {
            case .range(let a, let b):
                return (a...b).contains(c.scalar.value) || (a...b).contains(c.lower.value)
                    || (a...b).contains(c.upper.value)
            case .digit(let n): return c.isDigit != n
            case .word(let n): return c.isWord != n
            case .space(let n): return c.isSpace != n
            }
        }
    }

    fileprivate enum Matcher: Sendable, Equatable {
        case literal(Unicode.Scalar) // stored lowercased
        case anyButNewline
        case set([ClassItem], negated: Bool)

        func accepts(_ c: ScalarInfo) -> Bool {
            switch self {
            case .literal(let l): return c.lower == l
            case .anyButNewline: return c.scalar != "\n"
            case .set(let items, let negated): return items.contains { $0.contains(c) } != negated
            }
        }
    }

    // MARK: - Syntax tree

    fileprivate indirect enum Node: Sendable {
        case empty
        case atom(Matcher)
        case concat([Node])
        case alternation([Node])
        case star(Node), plus(Node), optional(Node)
        case repeated(Node, min: Int, max: Int?) // max nil = unbounded

        /// Positions after expansion, saturating so absurd nestings cannot overflow.
        var positionCount: Int {
            let cap = 1 << 20
            switch self {
            case .empty: return 0
            case .atom: return 1
            case .concat(let ns), .alternation(let ns): return ns.reduce(0) { min($0 + $1.positionCount, cap) }
            case .star(let n), .plus(let n), .optional(let n): return n.positionCount
            case .repeated(let n, let lo, let hi): return min(n.positionCount * (hi ?? max(lo, 1)), cap)
            }
        }

        /// Rewrites `{m,n}` as copies: x{2,4} → x x x? x?, x{2,} → x x+. Only called within the position budget.
        func expanded() -> Node {
            switch self {
            case .empty, .atom: return self
            case .concat(let ns): return .concat(ns.map { $0.expanded() })
            case .alternation(let ns): return .alternation(ns.map { $0.expanded() })
            case .star(let n): return .star(n.expanded())
            case .plus(let n): return .plus(n.expanded())
            case .optional(let n): return .optional(n.expanded())
            case .repeated(let n, let lo, let hi):
                let x = n.expanded()
                // A sub-pattern without positions only matches "": repeating it cannot change anything.
                if n.positionCount == 0 { return x }
                switch hi {
                case nil: return lo == 0 ? .star(x) : .concat(Array(repeating: x, count: lo - 1) + [.plus(x)])
                case let hi?:
                    return .concat(Array(repeating: x, count: lo) + Array(repeating: .optional(x), count: hi - lo))
                }
            }
        }
    }

    /// One top-level alternative with the anchors allowed around it.
    fileprivate struct Alternative {
        var caret = false, leadingBoundary = false, trailingBoundary = false, dollar = false
        var body: Node = .empty
    }

    /// Which empty matches are possible, by where they are allowed.
    fileprivate struct EmptyMatch: Sendable {
        var always = false, ifTextEmpty = false, atAnyBoundary = false, atStartBoundary = false, atEndBoundary = false
    }

    // MARK: - Glushkov construction

    fileprivate struct Builder {
        var positionCount = 0
        var matchers: [Matcher] = []
        var positionsOf: [Bits] = [] // parallel to matchers
        var follow: [Bits] = []

        struct Glushkov {
            var nullable: Bool
            var first: Bits
            var last: Bits
        }

        mutating func build(_ node: Node) -> Glushkov {
            switch node {
            case .empty:
                return Glushkov(nullable: true, first: Bits(), last: Bits())
            case .atom(let m):
                var b = Bits()
                b.insert(positionCount)
                positionCount += 1
                follow.append(Bits())
                if let i = matchers.firstIndex(of: m) {
                    positionsOf[i].formUnion(b)
                } else {
                    matchers.append(m)
                    positionsOf.append(b)
                }
                return Glushkov(nullable: false, first: b, last: b)
            case .concat(let ns):
                var acc = Glushkov(nullable: true, first: Bits(), last: Bits())
                for n in ns {
                    let g = build(n)
                    link(acc.last, to: g.first)
                    acc.first = acc.nullable ? acc.first.union(g.first) : acc.first
                    acc.last = g.nullable ? acc.last.union(g.last) : g.last
                    acc.nullable = acc.nullable && g.nullable
                }
                return acc
            case .alternation(let ns):
                var acc = Glushkov(nullable: false, first: Bits(), last: Bits())
                for n in ns {
                    let g = build(n)
                    acc.nullable = acc.nullable || g.nullable
                    acc.first.formUnion(g.first)
                    acc.last.formUnion(g.last)
                }
                return acc
            case .star(let n):
                var g = loop(n)
                g.nullable = true
                return g
            case .plus(let n):
                return loop(n)
            case .optional(let n):
                var g = build(n)
                g.nullable = true
                return g
            case .repeated:
                preconditionFailure("repetitions are expanded before building")
            }
        }

        private mutating func loop(_ n: Node) -> Glushkov {
            let g = build(n)
            link(g.last, to: g.first)
            return g
        }

        private mutating func link(_ from: Bits, to: Bits) {
            for p in from.members { follow[p].formUnion(to) }
        }
    }

    // MARK: - Parser

    fileprivate struct Parser {
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

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

import Foundation

// What a compiled pattern is made of: position sets, scalar classes, the syntax tree. Nested in
// `LinearPattern` so their short names cannot clash within CareCore.
extension LinearPattern {
    // MARK: - Bit sets of positions

    /// A set of up to 128 automaton positions.
    struct Bits: Equatable, Sendable {
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
    struct ScalarInfo {
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

    enum ClassItem: Sendable, Equatable {
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

    enum Matcher: Sendable, Equatable {
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

    indirect enum Node: Sendable {
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
    struct Alternative {
        var caret = false, leadingBoundary = false, trailingBoundary = false, dollar = false
        var body: Node = .empty
    }

    /// Which empty matches are possible, by where they are allowed.
    struct EmptyMatch: Sendable {
        var always = false, ifTextEmpty = false, atAnyBoundary = false, atStartBoundary = false, atEndBoundary = false
    }
}

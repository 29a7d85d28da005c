import Foundation
import XCTest

@testable import CareCore

final class LinearPatternTests: XCTestCase {
    private func match(_ pattern: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        do {
            return try LinearPattern(pattern).matches(in: text)
        } catch {
            XCTFail("\(pattern) should compile: \(error.message)", file: file, line: line)
            return false
        }
    }

    private func refusal(_ pattern: String) -> String? {
        do {
            _ = try LinearPattern(pattern)
            return nil
        } catch {
            return error.message
        }
    }

    func testLiteralsAreCaseInsensitive() {
        XCTAssertTrue(match("Refund", "REFUND please"))
        XCTAssertTrue(match("refund|money back", "I want my MONEY BACK"))
        XCTAssertFalse(match("refund|money back", "great product"))
        XCTAssertTrue(match("a\\.b\\(c\\)", "x A.B(C) y"))
        XCTAssertFalse(match("a\\.b", "axb"))
    }

    func testClassesAndRanges() {
        XCTAssertTrue(match("[a-c]x", "Bx"))
        XCTAssertFalse(match("[a-c]x", "dx"))
        XCTAssertTrue(match("[A-Z]", "q"), "ranges are case-insensitive too")
        XCTAssertFalse(match("[^0-9]", "123"))
        XCTAssertTrue(match("[^0-9]", "12a"))
        XCTAssertFalse(match("[^a-z]", "abcXYZ"), "a negated class stays negated for either case")
        XCTAssertTrue(match("[\\d_]z", "_Z"))
        XCTAssertTrue(match("[-+]1", "-1"))
        XCTAssertTrue(match("[a\\]]", "]"))
        XCTAssertTrue(match("colou?r", "Color"))
    }

    func testDigits() {
        XCTAssertTrue(match("\\d+", "order 123"))
        XCTAssertFalse(match("\\d+", "no numbers"))
        XCTAssertTrue(match("\\d{3}-\\d{4}", "call 555-1234"))
        XCTAssertFalse(match("\\d{3}-\\d{4}", "call 55-1234"))
    }

    func testWordBoundaries() {
        XCTAssertFalse(match("\\bfine\\b", "finest"))
        XCTAssertTrue(match("\\bfine\\b", "fine."))
        XCTAssertTrue(match("\\bfine\\b", "it's FINE"))
        XCTAssertFalse(match("\\bfine\\b", "refined"))
        XCTAssertTrue(match("\\b(refund|return)\\b", "I will return it"))
        XCTAssertFalse(match("\\b(refund|return)\\b", "returned"))
        XCTAssertTrue(match("\\bok\\b$", "it is ok"))
        XCTAssertFalse(match("\\bok\\b$", "it is ok."))
    }

    func testAnchors() {
        XCTAssertTrue(match("^ok$", "ok"))
        XCTAssertTrue(match("^ok$", "OK"))
        XCTAssertFalse(match("^ok$", "ok!"))
        XCTAssertFalse(match("^ok$", " ok"))
        XCTAssertFalse(match("^ok$", "ok\n"), "$ means the very end of the text")
        XCTAssertFalse(match("^ok", "not ok"))
    }

    func testAlternationWithAnchors() {
        // setup
        let pattern = "^refund|broken$"
        // act / check
        XCTAssertTrue(match(pattern, "Refund now"))
        XCTAssertFalse(match(pattern, "now refund"))
        XCTAssertTrue(match(pattern, "it is broken"))
        XCTAssertFalse(match(pattern, "broken glass"))
    }

    func testCountedRepetition() {
        XCTAssertFalse(match("^a{2,3}$", "a"))
        XCTAssertTrue(match("^a{2,3}$", "aa"))
        XCTAssertTrue(match("^a{2,3}$", "aaa"))
        XCTAssertFalse(match("^a{2,3}$", "aaaa"))
        XCTAssertTrue(match("a{2,3}", "aaaa"), "unanchored search finds a run inside")
        XCTAssertTrue(match("^(ab){2,}$", "ababab"))
        XCTAssertFalse(match("^(ab){2,}$", "ab"))
        XCTAssertTrue(match("^x{0}y$", "y"))
    }

    func testDotAndLazyQuantifiers() {
        XCTAssertTrue(match("a.c", "abc"))
        XCTAssertFalse(match("a.c", "a\nc"))
        XCTAssertFalse(match("a.c", "ac"))
        XCTAssertTrue(match("a.*?c", "a--c"))
        XCTAssertTrue(match("^a+?$", "aaa"))
        XCTAssertTrue(match("^ab??$", "a"))
    }

    func testUnicode() {
        XCTAssertTrue(match("Größe", "die größe passt"))
        XCTAssertTrue(match("größe", "GRÖẞE"))
        XCTAssertTrue(match("été", "ÉTÉ"))
        XCTAssertTrue(match("café", "cafe\u{301}"), "text and pattern are compared in NFC")
        XCTAssertTrue(match("^\\w+$", "日本語"))
        XCTAssertTrue(match("\\d", "٣"))
        XCTAssertTrue(match("[à-ÿ]", "Ü"))
        XCTAssertTrue(match("^.$", "😀"))
    }

    func testEmptyMatches() {
        XCTAssertTrue(match("a*", ""))
        XCTAssertTrue(match("a*", "xyz"))
        XCTAssertTrue(match("^$", ""))
        XCTAssertFalse(match("^$", "x"))
        XCTAssertTrue(match("x|", "anything"))
        XCTAssertFalse(match("\\b", "..."))
        XCTAssertTrue(match("\\b", ".a."))
    }

    func testRefusalsNameTheUnsupportedConstruct() {
        // setup
        let cases: [(pattern: String, fragment: String)] = [
            ("(a)\\1", "backreference"),
            ("a(?=b)", "lookahead"),
            ("a(?!b)", "lookahead"),
            ("(?<=a)b", "lookbehind"),
            ("(?<!a)b", "lookbehind"),
            ("(?<name>a)", "named group"),
            ("a*+", "possessive"),
            ("a++", "possessive"),
            ("a\\bb", "\\b (word boundary)"),
            ("(\\bfoo)", "\\b (word boundary)"),
            ("a^b", "^ (start anchor)"),
            ("(^a)", "^ (start anchor)"),
            ("a$b", "$ (end anchor)"),
            ("\\q", "unknown escape \\q"),
            ("", "empty"),
            (String(repeating: "a", count: 201), "longer than 200"),
            ("a{101}", "above 100"),
            ("(a{50}){3}", "too complex (over 128 positions)"),
            ("((a{100}){100}){100}", "too complex"),
            ("(a", "unbalanced parenthesis"),
            ("a)", "unbalanced parenthesis"),
            ("(?i)a", "inline options"),
            ("[a", "missing ']'"),
            ("*a", "nothing to repeat"),
            ("a{2,1}", "minimum exceeds the maximum"),
            ("a{", "repetition count"),
            ("\\p{L}", "property"),
            ("[z-a]", "reversed"),
        ]
        for (pattern, fragment) in cases {
            // act
            let message = refusal(pattern)
            // check
            XCTAssertNotNil(message, "\(pattern) should be refused")
            XCTAssertTrue(message?.contains(fragment) == true, "\(pattern): \(message ?? "accepted")")
        }
    }

    func testPositionBudget() throws {
        XCTAssertEqual(try LinearPattern("(a|b){3}").positionCount, 6)
        XCTAssertEqual(try LinearPattern("a{100}b{28}").positionCount, LinearPattern.maxPositions)
        XCTAssertNotNil(refusal("a{100}b{29}"))
        XCTAssertEqual(try LinearPattern("a+"), try LinearPattern("a+"))
    }

    func testPathologicalPatternsRunInLinearTime() throws {
        // setup: each of these backtracks exponentially in Swift's Regex; the old engine took 63 s
        // for `(a+)+$` on just 21 characters.
        let aaa = String(repeating: "a", count: 20_000)
        let sparse = String((0..<20_000).map { $0 % 1_100 == 0 ? "a" : "b" }) // 19 a's
        let cases: [(pattern: String, text: String, expected: Bool)] = [
            ("(a+)+$", aaa + "!", false),
            ("(a|a)*$", aaa + "!", true), // the empty match at the end counts
            ("^(a|a)*$", aaa + "!", false),
            ("(a*)*b", aaa, false),
            ("(.*a){20}", sparse, false),
            ("(.*a){20}", aaa, true),
            ("(x+x+)+y", String(repeating: "x", count: 20_000), false),
        ]
        let compiled = try cases.map { try LinearPattern($0.pattern) }
        // act
        let start = Date()
        let results = zip(compiled, cases).map { $0.matches(in: $1.text) }
        let elapsed = Date().timeIntervalSince(start)
        // check (a generous bound: this runs in a debug build)
        for (result, c) in zip(results, cases) { XCTAssertEqual(result, c.expected, c.pattern) }
        XCTAssertLessThan(elapsed, 2, "pathological patterns must run in linear time")
    }

    func testAgreesWithNSRegularExpressionOnSimplePatterns() throws {
        // setup: `reference` is the ICU spelling where it differs (ICU's `$` also matches before a final "\n").
        let patterns: [(pattern: String, reference: String)] =
            [
                "a", "ab", "a|b", "a*b", "(ab)+", "a?b?1", "[ab]1", "[^a]", "[a-b]+_", "\\d", "\\D\\d", "\\w\\W", "\\s",
                "\\S\\s\\S", "a.b", "..", "\\.", "(a|b1)*_", "a{2}", "a{1,2}b", "(ab|ba){2,}", "b{0,2}1", "[\\d_]",
                "[^\\s]a", "(a*)*1", "A", "[A-B]", "(?:a|)b", "1+?", "a??b", "(a|b)*?_", "\\bab", "a\\b", "\\b1\\b", "^a",
                "^ab|1", "^\\ba",
            ].map { ($0, $0) } + [("b$", "b\\z"), ("^ab|1$", "^ab|1\\z"), ("^a*$", "^a*\\z"), ("\\w\\b$", "\\w\\b\\z")]
        let alphabet = Array("ab1 _.\nA")
        var rng = SplitMix64(seed: 42)
        let texts = (0..<400).map { _ in
            String((0..<Int(rng.next() % 9)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        }
        for (pattern, reference) in patterns {
            let ours = try LinearPattern(pattern)
            let icu = try NSRegularExpression(pattern: reference, options: [.caseInsensitive])
            for text in texts {
                // act
                let expected = icu.firstMatch(in: text, range: NSRange(location: 0, length: text.utf16.count)) != nil
                // check
                XCTAssertEqual(ours.matches(in: text), expected, "\(pattern) on \(text.debugDescription)")
            }
        }
    }
}

/// A tiny seeded generator so the differential test is reproducible.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

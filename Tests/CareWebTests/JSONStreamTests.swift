import CareCore
import Foundation
import XCTest

@testable import CareWeb

/// JSONStream writes what Foundation's encoder writes (as JSON values; key order aside), escapes
/// every string so it reads back exactly, and gives up (for Foundation to write) on a value that
/// reaches back into a container it left.
final class JSONStreamTests: XCTestCase {
    struct Inner: Encodable {
        let name: String?
        let tags: [String]
        let score: Double
    }

    struct Outer: Encodable {
        let id: UUID
        let when: Date
        let text: String
        let count: Int
        let big: Int64
        let flag: Bool
        let nothing: String?
        let inner: Inner
        let list: [Inner]
        let nested: [[Int]]
        let map: [String: Int]
    }

    /// Writes a key, then goes back to a nested container it opened before: legal, not in order.
    struct BackAndForth: Encodable {
        enum K: String, CodingKey { case a, b, c }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            var nested = c.nestedContainer(keyedBy: K.self, forKey: .a)
            try c.encode(1, forKey: .b)
            try nested.encode(2, forKey: .c)
        }
    }

    func parsed(_ data: Data) throws -> NSObject {
        try XCTUnwrap(JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? NSObject)
    }

    func testWritesWhatFoundationWritesAndEveryStringReadsBack() throws {
        let awkward = "quote \" backslash \\ slash / newline \n tab \t nul \u{0} bell \u{7} unit \u{1F} é 日本 🙂 \u{2028}"
        let value = Outer(
            id: UUID(), when: Date(timeIntervalSince1970: 1_800_000_000.25), text: awkward, count: -42, big: Int64.max, flag: true,
            nothing: nil, inner: Inner(name: nil, tags: [], score: 4.5),
            list: [Inner(name: "a", tags: ["x", awkward], score: 3), Inner(name: "", tags: ["y"], score: 0.1)], nested: [[], [1, 2]],
            map: ["k\"ey": 1])
        let streamed = try JSONStream.encode(value)
        let foundation = try JSONBody.encoder.encode(value)
        XCTAssertEqual(try parsed(Data(streamed)), try parsed(foundation))
        let back = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(streamed)) as? [String: Any])
        XCTAssertEqual(back["text"] as? String, awkward)
        XCTAssertFalse(back.keys.contains("nothing"), "a synthesised nil optional is left out, as Foundation leaves it")
        XCTAssertEqual(String(decoding: try JSONStream.encode(3.0), as: UTF8.self), "3", "whole numbers without .0")
    }

    func testTheAPIsViewsAreWrittenTheSameWay() throws {
        let page = PageView(key: "items", items: [["b": 2, "a": 1], [:]], page: try .init(number: 2, size: 10), total: 11)
        XCTAssertEqual(try parsed(Data(try JSONStream.encode(page))), try parsed(try JSONBody.encoder.encode(page)))
    }

    func testOutOfOrderValuesAndNonNumbersAreLeftToFoundation() throws {
        XCTAssertThrowsError(try JSONStream.encode(BackAndForth()))
        let data = try JSONBody.data(BackAndForth())
        let back = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual((back["a"] as? [String: Any])?["c"] as? Int, 2, "JSONBody.data falls back to Foundation")
        XCTAssertEqual(back["b"] as? Int, 1)
        XCTAssertThrowsError(try JSONStream.encode(Double.nan))
        XCTAssertThrowsError(try JSONBody.data(Double.infinity), "not JSON at all: an error, never bytes")
    }

    /// Asks for a keyed container, then an unkeyed one, of the same encoder.
    struct TwoKinds: Encodable {
        enum K: String, CodingKey { case a }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            try c.encode(1, forKey: .a)
            var l = encoder.unkeyedContainer()
            try l.encode(2)
        }
    }

    func testDictionariesAreWrittenWithSortedKeysSoTheSameContentIsTheSameBytes() throws {
        let map = Dictionary(uniqueKeysWithValues: (0..<50).map { ("k\($0)", $0) })
        let text = String(decoding: try JSONStream.encode(["outer": map]), as: UTF8.self)
        let keys = map.keys.sorted()
        var at = text.startIndex
        for k in keys {
            let found = try XCTUnwrap(text.range(of: "\"\(k)\":", range: at..<text.endIndex), "\(k) after the key before it")
            at = found.upperBound
        }
        // (Foundation's encoder stops the process on this misuse; JSONStream at least refuses it.)
        XCTAssertThrowsError(try JSONStream.encode(TwoKinds()), "two containers of different kinds cannot be written in order")
    }
}

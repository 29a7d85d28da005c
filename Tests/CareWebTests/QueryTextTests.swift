import CareCore
import Vapor
import XCTest

@testable import CareWeb

/// Query values are read from the URL by CareLoop's own reader (`Request.queryText`), as a browser's
/// form encoding writes them.
final class QueryTextTests: XCTestCase {
    func testFormEncodedTextIsDecodedAndMalformedTextIsNothing() {
        func decoded(_ s: String) -> String? { Request.formDecoded(Substring(s).utf8) }
        XCTAssertEqual(decoded("plain"), "plain")
        XCTAssertEqual(decoded("a+b%20c"), "a b c")
        XCTAssertEqual(decoded("%E2%82%AC%2b"), "€+")
        XCTAssertEqual(decoded("%e2%82%ac"), "€", "hex digits in either case")
        XCTAssertEqual(decoded(""), "")
        XCTAssertNil(decoded("%"), "a cut escape")
        XCTAssertNil(decoded("%4"), "a cut escape")
        XCTAssertNil(decoded("%zz"), "not hex")
        XCTAssertNil(decoded("%C3"), "half a character is not text")
        XCTAssertNil(decoded("%FF%FE"), "not UTF-8")
    }

    func testTheListReadsPagingAsABrowserEncodesIt() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            for i in 0..<3 {
                let r = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "tea", email: "q\(i)@example.com"))
                XCTAssertEqual(r.status, .created, r.text)
            }
            let list = "/api/v1/public/stores/\(store.slug)/products/tea/reviews"
            let cases: [(query: String, page: Int, perPage: Int)] = [
                ("per_page=%32", 1, 2), // an encoded digit
                ("p%65r_page=2&page=%32", 2, 2), // an encoded name
                ("per_page=3&per_page=2", 1, 2), // the last of a repeated name, as Vapor's decoder read it
                ("page=%32&per_page=1&page=3", 3, 1), // a paging link's appended page wins
                ("per_page=", 1, 10), // empty: the default
                ("per_page", 1, 10), // a name alone: the default
                ("other=%ZZ&per_page=1", 1, 1), // a malformed neighbour does not matter
            ]
            for c in cases {
                let r = try await server.send(.GET, "\(list)?\(c.query)")
                XCTAssertEqual(r.status, .ok, "\(c.query): \(r.text)")
                let body = try r.decoded(API.PublicReviewList.self)
                XCTAssertEqual(body.page, c.page, c.query)
                XCTAssertEqual(body.perPage, c.perPage, c.query)
                XCTAssertEqual(body.reviews.count, min(c.perPage, max(0, 3 - (c.page - 1) * c.perPage)), c.query)
            }
            // A space is not part of a number, and a broken escape is not a number either (the URL
            // reaches CareLoop with the stray "%" itself encoded).
            for query in ["per_page=+2", "per_page=%ZZ", "per_page=2%"] {
                let refused = try await server.send(.GET, "\(list)?\(query)")
                XCTAssertEqual(refused.status, .unprocessableEntity, query)
                XCTAssertEqual(try refused.apiError.field, "per_page", query)
            }
        }
    }
}

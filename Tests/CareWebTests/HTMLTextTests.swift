import XCTest

@testable import CareWeb

/// The pages written in Swift (the inbox's rows, the embed fragment) escape every value: markup in
/// any field a customer or shop controls comes out as text.
final class HTMLTextTests: XCTestCase {
    let corpus = [
        #"<script>alert(1)</script>"#, #"<img src=x onerror="alert(1)">"#, #""><svg onload=alert(1)>"#, #"'><b>x</b>"#, "a & b",
        "plain words, ümlauts, 日本",
    ]

    func unescaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    func testEscapedTextHasNoMarkupAndReadsBackExactly() {
        for text in corpus {
            let e = HTMLText.escaped(text)
            XCTAssertFalse(e.contains("<") || e.contains(">") || e.contains("\"") || e.contains("'"), e)
            XCTAssertEqual(unescaped(e), text)
        }
    }

    func testTheInboxRowsCarryMarkupOnlyAsText() {
        for text in corpus {
            let row = InboxPageController.Row(
                href: "/app/conversations/1?view=" + text, customer: text, stars: text, starsLabel: text, firstLine: text, customerWroteLast: true,
                lastBy: text, ago: text, exact: text, isoTime: text, product: text, tags: [text, text], priority: text, urgent: true, assignee: text,
                due: text, overdue: true)
            let html = InboxRows.html([row])
            XCTAssertFalse(html.contains("<script") || html.contains("<img") || html.contains("<svg") || html.contains("<b>"), html)
            XCTAssertEqual(html.components(separatedBy: "<a ").count - 1, 1, "one link a row")
            XCTAssertTrue(html.contains(#"class="row customer-last""#) && html.contains(#"class="meta due overdue""#))
        }
    }

    func testTheEmbedFragmentCarriesMarkupOnlyAsText() {
        for text in corpus {
            let item = EmbedController.Item(stars: "★★☆☆☆", rating: 2, title: text, body: text, author: text, verified: true, date: text, reply: text)
            let context = EmbedController.Context(
                t: EmbedController.labels("en"), accent: text, onAccent: text, productName: text, policyURL: text, average: "2.0", count: 1,
                bars: [EmbedController.Bar(stars: 2, count: 1, percent: 100)], reviews: [item], previous: text, next: text, page: 1, pages: 2)
            let html = EmbedFragment.html(context)
            XCTAssertFalse(html.contains("<script") || html.contains("<img") || html.contains("<svg") || html.contains("<b>"), html)
            XCTAssertTrue(html.contains(#"<p class="careloop-body">\#(HTMLText.escaped(text))</p>"#), html)
        }
    }
}

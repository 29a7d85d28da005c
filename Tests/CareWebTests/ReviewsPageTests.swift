import CareCore
import Vapor
import XCTest

@testable import CareWeb

/// Reviews at volume: a text search, a product picker by name, an order, and numbered pages with the total.
final class ReviewsPageTests: XCTestCase {
    /// Each review's table row.
    func reviewCards(_ html: String) -> [String] {
        html.components(separatedBy: "<tr class=\"review\"").dropFirst().map { String($0.split(separator: "</tr>").first ?? "") }
    }

    func testSearchProductPickerOrderAndNumberedPages() async throws {
        try await onEachBackend { server in
            // setup: 30 reviews of two products; every third mentions the lid; one says "100%"
            let (_, key, owner) = try await server.storeWithOwner()
            for i in 0..<30 {
                let r = try await server.send(
                    .POST, "/api/v1/reviews", key: key,
                    json: reviewJSON(
                        product: i % 2 == 0 ? "sku-kettle" : "sku-toaster", productName: i % 2 == 0 ? "Gooseneck Kettle" : "Toaster Two",
                        email: "r\(i)@example.com", name: "Reviewer \(i)", rating: 1 + i % 5,
                        body: i % 3 == 0 ? "The LID wobbles (\(i))" : (i == 1 ? "100% happy" : "Fine thing \(i)")))
                XCTAssertEqual(r.status, .created, r.text)
            }

            // act / check: the first page says the total and numbers the pages
            let all = try await owner.get("/app/reviews")
            XCTAssertEqual(all.status, .ok)
            XCTAssertTrue(all.text.contains("Reviews 1–25 of 30."), all.text)
            XCTAssertTrue(all.text.contains(#"<a href="/app/reviews?page=2">2</a>"#), all.text)
            XCTAssertEqual(reviewCards(all.text).count, 25)
            // the product picker names the products and sends their ids
            XCTAssertTrue(all.text.contains(#"<option value="sku-kettle">Gooseneck Kettle</option>"#), all.text)
            let kettle = try await owner.get("/app/reviews?product=sku-kettle")
            XCTAssertTrue(kettle.text.contains("of 15."), kettle.text)
            XCTAssertTrue(reviewCards(kettle.text).allSatisfy { $0.contains("Gooseneck Kettle") })
            // search: case-insensitive over the text, the author's name too; % is literal
            let lid = try await owner.get("/app/reviews?q=lid")
            XCTAssertTrue(lid.text.contains("Reviews 1–10 of 10."), lid.text)
            XCTAssertTrue(reviewCards(lid.text).allSatisfy { $0.contains("The LID wobbles") })
            let byName = try await owner.get("/app/reviews?q=reviewer%2017")
            XCTAssertEqual(reviewCards(byName.text).count, 1)
            let percent = try await owner.get("/app/reviews?q=100%25")
            XCTAssertEqual(reviewCards(percent.text).count, 1)
            let lidKettle = try await owner.get("/app/reviews?q=lid&product=sku-kettle")
            XCTAssertTrue(lidKettle.text.contains("of 5."), lidKettle.text)
            // order: fewest stars first, most stars first
            let lowest = try await owner.get("/app/reviews?sort=lowest")
            XCTAssertTrue(reviewCards(lowest.text).first?.contains("1 out of 5 stars") == true)
            let highest = try await owner.get("/app/reviews?sort=highest")
            XCTAssertTrue(reviewCards(highest.text).first?.contains("5 out of 5 stars") == true)
            let oldest = try await owner.get("/app/reviews?sort=oldest")
            XCTAssertTrue(reviewCards(oldest.text).first?.contains("Reviewer 0") == true)
            // page 2 keeps the filters
            let second = try await owner.get("/app/reviews?sort=lowest&page=2")
            XCTAssertTrue(second.text.contains("Reviews 26–30 of 30."), second.text)
            XCTAssertTrue(second.text.contains(#"<a href="/app/reviews?sort=lowest&amp;page=1">1</a>"#), second.text)

            // bad input: a long search, an unknown order
            let long = try await owner.get("/app/reviews?q=" + String(repeating: "x", count: 51))
            XCTAssertEqual(long.status, .unprocessableEntity)
            let badSort = try await owner.get("/app/reviews?sort=sideways")
            XCTAssertEqual(badSort.status, .unprocessableEntity)
        }
    }

    func testPageNumbersShowTheEndsAndTheNeighbours() {
        let links = ReviewsPageController.numbered(current: 7, total: 400, size: 25) { "/p\($0)" }
        XCTAssertEqual(links.map(\.label), ["1", "…", "5", "6", "7", "8", "9", "…", "16"])
        XCTAssertNil(links.first { $0.current }?.href)
        XCTAssertEqual(ReviewsPageController.numbered(current: 1, total: 20, size: 25) { "/p\($0)" }.count, 0)
        XCTAssertEqual(ReviewsPageController.shownTotal(12_345), "10 000+")
        XCTAssertEqual(ReviewsPageController.shownTotal(1_234), "1 234")
        // a page far past the end still gets sane links
        XCTAssertEqual(ReviewsPageController.numbered(current: 9_999, total: 30, size: 25) { "/p\($0)" }.map(\.label), ["1", "2"])
    }
}

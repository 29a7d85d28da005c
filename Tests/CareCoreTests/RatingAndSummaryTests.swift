import XCTest

@testable import CareCore

final class RatingAndSummaryTests: XCTestCase {
    func testRatingAcceptsOneToFiveOnly() throws {
        for n in 1...5 { XCTAssertEqual(try Rating(n).stars, n) }
        for n in [-1, 0, 6, 100] {
            XCTAssertThrowsError(try Rating(n)) { error in
                XCTAssertEqual((error as? CareError)?.field, "rating")
                XCTAssertEqual((error as? CareError)?.kind, .invalid)
            }
        }
        XCTAssertTrue(try Rating(2).isUnhappy)
        XCTAssertFalse(try Rating(3).isUnhappy)
    }

    func testSummaryMathCountsEveryRating() throws {
        // setup
        let ratings = try [1, 1, 2, 5, 5, 5, 4].map { try Rating($0) }
        // act
        var summary = RatingSummary(ratings: ratings)
        // check
        XCTAssertEqual(summary.count, 7)
        XCTAssertEqual(summary.ratingSum, 23)
        XCTAssertEqual(summary.average, 3.29, "23 / 7 = 3.2857… rounds to 3.29")
        XCTAssertEqual(summary.distribution, ["1": 2, "2": 1, "3": 0, "4": 1, "5": 3])
        summary.remove(try Rating(1))
        summary.add(try Rating(3))
        XCTAssertEqual(summary.distribution, ["1": 1, "2": 1, "3": 1, "4": 1, "5": 3])
        XCTAssertEqual(summary.average, 3.57)
    }

    func testEmptySummaryAveragesToZero() {
        XCTAssertEqual(RatingSummary().average, 0)
        XCTAssertEqual(RatingSummary().count, 0)
    }

    func testAverageRoundsHalfUp() throws {
        // 1,2 -> 1.5; 1,1,2 -> 1.333 -> 1.33; 1,2,2 -> 1.667 -> 1.67
        XCTAssertEqual(RatingSummary(ratings: try [1, 2].map { try Rating($0) }).average, 1.5)
        XCTAssertEqual(RatingSummary(ratings: try [1, 1, 2].map { try Rating($0) }).average, 1.33)
        XCTAssertEqual(RatingSummary(ratings: try [1, 2, 2].map { try Rating($0) }).average, 1.67)
    }

    func testStoredRatingIsClampedNotTrapped() {
        XCTAssertEqual(Rating(stored: 9).stars, 5)
        XCTAssertEqual(Rating(stored: -2).stars, 1)
    }
}

final class EmailAndTextTests: XCTestCase {
    func testEmailIsTrimmedAndLowerCased() throws {
        XCTAssertEqual(try EmailAddress("  Ann.Lee@Example.COM\n").value, "ann.lee@example.com")
        XCTAssertEqual(try EmailAddress("a+tag@shop.co.uk").localPart, "a+tag")
    }

    func testEmailRejectsWhatCannotBeAnAddress() {
        for bad in [
            "", "   ", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "a@b@example.com",
            "ann@.example.com", "ann@example.com.", "<ann@example.com>", "a,b@example.com",
        ] {
            XCTAssertThrowsError(try EmailAddress(bad, field: "customer.email"), bad) { error in
                XCTAssertEqual((error as? CareError)?.field, "customer.email", bad)
            }
        }
    }

    func testTextFieldsAreTrimmedLimitedAndFreeOfControlCharacters() throws {
        XCTAssertNil(try Text.optional("   ", field: "title", max: 5))
        XCTAssertEqual(try Text.optional("  hi  ", field: "title", max: 5), "hi")
        XCTAssertEqual(try Text.optional("line\nbreak\tok", field: "body", max: 50), "line\nbreak\tok")
        XCTAssertThrowsError(try Text.optional("toolong", field: "title", max: 5))
        XCTAssertThrowsError(try Text.optional("bell\u{7}", field: "body", max: 50))
        XCTAssertThrowsError(try Text.required(nil, field: "x", max: 5)) { error in
            XCTAssertEqual((error as? CareError)?.code, "missing_field")
        }
        XCTAssertEqual(try Text.url("https://shop.example/p/1", field: "url"), "https://shop.example/p/1")
        XCTAssertThrowsError(try Text.url("javascript:alert(1)", field: "url"))
        XCTAssertThrowsError(try Text.url("ftp://x.example", field: "url"))
    }

    func testDisplayNameShowsFirstNameAndInitial() {
        XCTAssertEqual(ReviewIngest.displayName("Jane Doe"), "Jane D.")
        XCTAssertEqual(ReviewIngest.displayName("Jane Mary Doe"), "Jane D.")
        XCTAssertEqual(ReviewIngest.displayName("Cher"), "Cher")
    }

    func testPageBounds() throws {
        let p = try ReviewQueries.Page(number: 3, size: 20)
        XCTAssertEqual(p.offset, 40)
        XCTAssertEqual(try ReviewQueries.Page(number: nil, size: nil, defaultSize: 10).size, 10)
        XCTAssertThrowsError(try ReviewQueries.Page(number: 0, size: 10))
        XCTAssertThrowsError(try ReviewQueries.Page(number: 1, size: 101))
        XCTAssertThrowsError(try ReviewQueries.Page(number: 1, size: 0))
    }

    func testStoreSlugRules() {
        XCTAssertNoThrow(try StoreService.validateSlug("tea-shop-2"))
        for bad in ["a", "Tea", "tea shop", "-tea", "tea-", "tée", String(repeating: "a", count: 64)] {
            XCTAssertThrowsError(try StoreService.validateSlug(bad), bad)
        }
    }
}

import CareCore
import FluentKit
import SQLKit
import Vapor
import XCTest

@testable import CareWeb

/// Insights over a chosen range of days, beside the same number of days before it.
final class InsightsPeriodTests: XCTestCase {
    func testAPeriodIsSetBesideTheOneBeforeAndBadRangesAreRefused() async throws {
        try await onEachBackend { server in
            // setup: three reviews today (5, 4 and 1★, the last opening a conversation); two 5★ reviews ten days ago
            let (store, key, owner) = try await server.storeWithOwner()
            for (i, stars) in [5, 4, 1].enumerated() {
                let r = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "p\(i)@example.com", rating: stars))
                XCTAssertEqual(r.status, .created)
            }
            let today = RatingSummaryCounter.day(server.app.care.storage.now())
            try await server.app.db.sql.raw(
                "INSERT INTO store_daily_reviews (store_id, day, published, stars) VALUES (\(bind: store.id!), \(bind: today - 10), 2, 10)"
            ).run()

            // act: the last 7 days against the 7 before
            let week = try await owner.get("/app/insights?days=7")
            // check
            XCTAssertEqual(week.status, .ok)
            let text = week.text.replacingOccurrences(of: "\n", with: "")
            XCTAssertTrue(
                text.contains(#"<th scope="row">Reviews published</th><td>3</td><td>2</td><td class="change up">+50 %</td>"#), text)
            XCTAssertTrue(text.contains(#"<th scope="row">Average rating</th><td>3.33★</td><td>5.00★</td><td class="change down">-1.67★</td>"#), text)
            XCTAssertTrue(text.contains(#"<th scope="row">Conversations opened</th><td>1</td><td>0</td><td class="change up">new</td>"#), text)
            XCTAssertTrue(text.contains("(7 days), against the 7 days before"))
            // the last 30 days hold all five
            let month = try await owner.get("/app/insights")
            XCTAssertTrue(month.text.contains(#"<th scope="row">Reviews published</th><td>5</td><td>0</td>"#), month.text)
            // chosen dates: today alone
            let day = Shown.day(server.app.care.storage.now())
            let one = try await owner.get("/app/insights?from=\(day)&to=\(day)")
            XCTAssertTrue(one.text.contains("(1 day), against the 1 day before"), one.text)
            XCTAssertTrue(one.text.contains(#"<th scope="row">Reviews published</th><td>3</td>"#))

            // bad input: an odd preset, one date alone, dates backwards, more than a year
            for bad in [
                "days=8", "days=-1", "days=99999999999999999999", "from=\(day)", "from=2026-05-02&to=2026-05-01", "from=2024-01-01&to=2026-01-01",
                "from=yesterday&to=today",
            ] {
                let r = try await owner.get("/app/insights?" + bad)
                XCTAssertEqual(r.status, .unprocessableEntity, bad)
            }
        }
    }
}

import Foundation
import XCTest

@testable import CareCore

/// Deadlines counted in business hours, in the store's time zone.
final class ReplyTargetDeadlineTests: XCTestCase {
    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func testWallClockAndBusinessHours() {
        // setup: 9–17, Monday to Friday, Berlin (UTC+1 in November)
        var t = ReplyTargets()
        t.timeZone = "Europe/Berlin"
        let friday4pm = date("2026-11-27T15:00:00Z")
        // check: wall clock
        XCTAssertEqual(t.deadline(from: friday4pm, minutes: 120), date("2026-11-27T17:00:00Z"))
        // check: business hours carry the second hour over the weekend to Monday 10:00 Berlin
        t.businessHours = true
        XCTAssertEqual(t.deadline(from: friday4pm, minutes: 120), date("2026-11-30T09:00:00Z"))
        // a message on Saturday night starts the clock on Monday at opening time
        XCTAssertEqual(t.deadline(from: date("2026-11-28T22:00:00Z"), minutes: 30), date("2026-11-30T08:30:00Z"))
        // within one day
        XCTAssertEqual(t.deadline(from: date("2026-11-24T09:00:00Z"), minutes: 60), date("2026-11-24T10:00:00Z"))
        // one working day a week and the longest target still ends (bounded walk)
        t.workDays = [3]
        t.openHour = 9
        t.closeHour = 10
        let far = t.deadline(from: friday4pm, minutes: ReplyTargets.minutesRange.upperBound)
        XCTAssertGreaterThan(far, friday4pm.addingTimeInterval(300 * 86_400))
    }

    func testTargetsAreValidated() {
        var t = ReplyTargets()
        t.nextReplyMinutes = 1
        XCTAssertThrowsError(try t.validated())
        t.nextReplyMinutes = 60
        t.closeHour = t.openHour
        XCTAssertThrowsError(try t.validated())
        t.closeHour = 17
        t.workDays = []
        XCTAssertThrowsError(try t.validated())
        t.workDays = [1]
        XCTAssertNoThrow(try t.validated())
    }
}

import Foundation
import XCTest

@testable import CareCore

/// The words of request emails, and the headers they travel in.
final class RequestTextTests: XCTestCase {
    func testPlaceholdersAreFilledOnceAndValuesAreNeverReadAgain() {
        // setup: a store whose name looks like a placeholder
        let values = ["store": "Shop {order}", "order": "1001", "name": "{store}"]
        // act
        let out = RequestTexts.fill("{name}, your order {order} from {store} {unknown} {", values)
        // check
        XCTAssertEqual(out, "{store}, your order 1001 from Shop {order} {unknown} {")
    }

    func testADisplayNameWithLineBreaksStaysOneQuotedName() {
        // act: names as a shop's data may hold them
        let to = MailComposer.address("bob@x.test", name: "Bob\r\nBcc: evil@x.test")
        let plain = MailComposer.address("ann@x.test", name: "Ann Lee")
        // check: quoted (a comma, colon or @ inside is part of the name), and on one line
        XCTAssertEqual(to, "\"Bob  Bcc: evil@x.test\" <bob@x.test>")
        XCTAssertFalse(to.contains("\r") || to.contains("\n"))
        XCTAssertEqual(plain, "Ann Lee <ann@x.test>")
    }

    func testQuietHoursAcrossMidnightAndLocalDays() {
        // setup: Berlin, quiet 21–08
        var s = RequestSettings()
        s.timeZone = "Europe/Berlin"
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = berlin
        let day = cal.date(from: DateComponents(year: 2026, month: 11, day: 24, hour: 12))!
        let late = cal.date(bySettingHour: 22, minute: 15, second: 0, of: day)!
        let early = cal.date(bySettingHour: 7, minute: 59, second: 0, of: day)!
        // check
        XCTAssertFalse(RequestSchedule.isQuiet(day, s))
        XCTAssertTrue(RequestSchedule.isQuiet(late, s))
        XCTAssertTrue(RequestSchedule.isQuiet(early, s))
        XCTAssertEqual(
            RequestSchedule.nextAllowed(late, s), cal.date(byAdding: .day, value: 1, to: cal.date(bySettingHour: 8, minute: 0, second: 0, of: day)!))
        XCTAssertEqual(RequestSchedule.nextAllowed(early, s), cal.date(bySettingHour: 8, minute: 0, second: 0, of: day))
        XCTAssertEqual(RequestSchedule.localDay(late, in: berlin), "2026-11-24")
        XCTAssertEqual(RequestSchedule.localDay(late, in: TimeZone(identifier: "Asia/Tokyo")!), "2026-11-25")
        s.quietStartHour = 0
        s.quietEndHour = 0
        XCTAssertFalse(RequestSchedule.isQuiet(late, s), "equal hours: no quiet time")
    }
}

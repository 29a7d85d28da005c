import Foundation
import XCTest

@testable import CareCore

/// CareLoop's hand-written date format says exactly what Foundation's ISO 8601 style says.
final class ISODateTests: XCTestCase {
    func testTheFormatMatchesFoundationsForDatesAcrossTheRange() {
        // setup: edges (epoch, leap days, century rules, the ends of the fast range, the end of a
        // millisecond), dates outside the fast range, and random dates from 1900 to 2199
        var dates = [
            0, -1, 0.0005, 951_782_400, 4_107_542_400 - 0.001, -2_208_988_800, -2_208_988_800.001, 7_258_118_399.999,
            7_258_118_400, 1_800_000_000.999, -62_135_596_800, 253_402_300_799.999,
        ]
        .map { Date(timeIntervalSince1970: $0) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let seconds = Double.random(in: -2_208_988_800..<7_258_118_400, using: &generator)
            dates.append(Date(timeIntervalSince1970: (seconds * 1000).rounded(.down) / 1000))
        }
        for _ in 0..<2_000 { dates.append(Date(timeIntervalSince1970: Double.random(in: 1_700_000_000..<1_900_000_000, using: &generator))) }
        // act + check
        for date in dates {
            XCTAssertEqual(ISODate.format(date), ISODate.foundationFormat(date), "\(date.timeIntervalSince1970)")
        }
        XCTAssertEqual(ISODate.format(Date(timeIntervalSince1970: 1_777_636_800)), "2026-05-01T12:00:00.000Z")
    }
}

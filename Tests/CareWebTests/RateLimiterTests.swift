import Foundation
import XCTest

@testable import CareWeb

final class RateLimiterTests: XCTestCase {
    final class Clock: @unchecked Sendable { var t = Date(timeIntervalSince1970: 0) }

    func testBucketEmptiesThenRefillsAtTheRate() async {
        // setup: 2 at once, one more per 30 s
        let clock = Clock()
        let limiter = RateLimiter(burst: 2, perMinute: 2, now: { clock.t })
        // act / check
        let a = await limiter.take("1.2.3.4")
        let b = await limiter.take("1.2.3.4")
        let c = await limiter.take("1.2.3.4")
        XCTAssertTrue(a.allowed)
        XCTAssertTrue(b.allowed)
        XCTAssertFalse(c.allowed)
        XCTAssertEqual(c.retryAfter, 30)
        let other = await limiter.take("5.6.7.8")
        XCTAssertTrue(other.allowed, "addresses have their own buckets")
        clock.t = clock.t.addingTimeInterval(30)
        let d = await limiter.take("1.2.3.4")
        XCTAssertTrue(d.allowed)
    }
}

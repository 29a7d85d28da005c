import Foundation
import XCTest

@testable import CareCore

/// Outbound HTTP must never reach this machine or the local network, in any spelling of the address.
final class OutboundAddressTests: XCTestCase {
    func testEverySpellingOfNonPublicHostsIsRefused() {
        // setup
        let hosts = [
            "127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0X7F000001", "0x7f.1", "0x7f.0.0.1",
            "0177.0.0.1", "017700000001", "127.0.0.1.", " 127.0.0.1 ", "%31%32%37.0.0.1",
            "localhost", "LOCALHOST.", "foo.localhost", "localhost.localdomain", "printer.local",
            "metadata.google.internal", "nas.home.arpa",
            "[::1]", "::1", "[0:0:0:0:0:0:0:1]", "::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "::ffff:7f00:1",
            "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "fe80::1%eth0", "[fe80::1%25eth0]",
            "169.254.169.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
            "0.0.0.0", "0", "224.0.0.1", "255.255.255.255", "240.0.0.1", "192.0.2.1", "198.18.0.1",
            "fc00::1", "fd12:3456::1", "ff02::1", "::", "fec0::1", "2001:db8::1", "2001:0:4136:e378::1", "100::1",
        ]
        for host in hosts {
            // act
            let reason = OutboundAddress.hostRefusal(host)
            // check
            XCTAssertNotNil(reason, "\(host) should be refused")
        }
    }

    func testPublicHostsAreAllowed() {
        // setup
        let hosts = [
            "93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "[2606:4700::1111]", "::ffff:8.8.8.8",
            "example.com", "hooks.example.org", "Hooks.Example.ORG.",
        ]
        for host in hosts {
            // act
            let reason = OutboundAddress.hostRefusal(host)
            // check
            XCTAssertNil(reason, "\(host) should be allowed, got \(reason ?? "")")
        }
    }

    func testReasonsNameTheKindOfAddress() {
        XCTAssertEqual(OutboundAddress.hostRefusal("127.1"), "a loopback address")
        XCTAssertEqual(OutboundAddress.hostRefusal("[::1]"), "a loopback address")
        XCTAssertEqual(OutboundAddress.hostRefusal("::ffff:10.1.2.3"), "a private address")
        XCTAssertEqual(OutboundAddress.hostRefusal("169.254.169.254"), "a link-local address")
        XCTAssertEqual(OutboundAddress.hostRefusal("fd00::1"), "a unique-local address")
        XCTAssertEqual(OutboundAddress.hostRefusal("ff02::1"), "a multicast address")
        XCTAssertEqual(OutboundAddress.hostRefusal("0.0.0.0"), "an unspecified address")
        XCTAssertEqual(OutboundAddress.hostRefusal("100.64.0.1"), "a shared (carrier-grade NAT) address")
        XCTAssertEqual(OutboundAddress.hostRefusal("255.255.255.255"), "a broadcast address")
        XCTAssertEqual(OutboundAddress.hostRefusal("203.0.113.7"), "a documentation address")
        XCTAssertEqual(OutboundAddress.hostRefusal("localhost"), "a name for this machine")
        XCTAssertEqual(OutboundAddress.hostRefusal("printer.local"), "a name on the local network")
        XCTAssertEqual(OutboundAddress.hostRefusal("redis"), "a name without a domain")
        XCTAssertEqual(OutboundAddress.hostRefusal(""), "an empty host")
    }

    func testMalformedHostsAreRefused() {
        // setup
        let hosts = [
            "1.2.3.4.5", "256.1.1.1", "08.0.0.1", "4294967296", "evil@127.0.0.1", "a b.example.com",
            "example..com", "[::1", "1:2:3:4:5:6:7:8:9", "%zz.example.com", "%2531%2532%2537.0.0.1",
        ]
        for host in hosts {
            // act
            let reason = OutboundAddress.hostRefusal(host)
            // check
            XCTAssertNotNil(reason, "\(host) should be refused")
        }
    }

    func testLookalikeCharactersAreFoldedBeforeTheNameChecks() {
        XCTAssertNotNil(OutboundAddress.hostRefusal("\u{FF11}\u{FF12}\u{FF17}.0.0.1")) // full-width 127
        XCTAssertNotNil(OutboundAddress.hostRefusal("127\u{3002}0\u{3002}0\u{3002}1")) // ideographic full stops
        XCTAssertNotNil(OutboundAddress.hostRefusal("localho\u{017F}t")) // long s
        XCTAssertNotNil(OutboundAddress.hostRefusal("local\u{00AD}host")) // soft hyphen
    }

    func testParseIP() {
        XCTAssertEqual(OutboundAddress.parseIP("127.1"), [127, 0, 0, 1])
        XCTAssertEqual(OutboundAddress.parseIP("10.1.65535"), [10, 1, 255, 255])
        XCTAssertEqual(OutboundAddress.parseIP("0x7f.0.0.1"), [127, 0, 0, 1])
        XCTAssertEqual(OutboundAddress.parseIP("0177.0.0.1"), [127, 0, 0, 1])
        XCTAssertEqual(OutboundAddress.parseIP("2130706433"), [127, 0, 0, 1])
        XCTAssertNil(OutboundAddress.parseIP("example.com"))
        XCTAssertNil(OutboundAddress.parseIP("1.2.3.4.5"))
        XCTAssertNil(OutboundAddress.parseIP("256.1.1.1"))
        XCTAssertNil(OutboundAddress.parseIP("1.256.65536"))
        XCTAssertNil(OutboundAddress.parseIP("1:2:3:4:5:6:7:8::"))
        XCTAssertNil(OutboundAddress.parseIP("1::2::3"))
        XCTAssertEqual(OutboundAddress.parseIP("::ffff:1.2.3.4"), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4])
        XCTAssertEqual(OutboundAddress.parseIP("[::1]"), [UInt8](repeating: 0, count: 15) + [1])
        XCTAssertEqual(OutboundAddress.parseIP("fe80::1%eth0"), [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1])
        XCTAssertEqual(OutboundAddress.parseIP("1:2:3:4:5:6:7:8"), [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8])
    }

    func testRefusalOfResolvedAddresses() {
        XCTAssertEqual(OutboundAddress.refusal([127, 0, 0, 1]), "a loopback address")
        XCTAssertEqual(OutboundAddress.refusal([192, 168, 0, 1]), "a private address")
        XCTAssertNil(OutboundAddress.refusal([8, 8, 8, 8]))
        XCTAssertNil(OutboundAddress.refusal([0x26, 0x06, 0x47, 0x00] + [UInt8](repeating: 0, count: 10) + [0x11, 0x11]))
        XCTAssertEqual(OutboundAddress.refusal([0x20, 0x02, 10, 0, 0, 1] + [UInt8](repeating: 0, count: 10)), "a private address")
        XCTAssertNil(OutboundAddress.refusal([0x20, 0x02, 8, 8, 8, 8] + [UInt8](repeating: 0, count: 10)))
        XCTAssertNotNil(OutboundAddress.refusal([1, 2, 3]))
    }
}

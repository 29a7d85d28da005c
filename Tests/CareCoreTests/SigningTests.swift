import Foundation
import XCTest

@testable import CareCore

/// Signed things: the customer's page links and webhook signatures.
final class SigningTests: XCTestCase {
    let links = CareLinks(publicURL: "https://shop.test/", secret: String(repeating: "s", count: 40), pageLinkLifetime: 3600)

    func testPageLinkOpensItsConversationUntilItExpires() {
        // setup
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        // act
        let link = links.conversationPage(token: "abcDEF123", issuedAt: issued)
        // check
        XCTAssertTrue(link.hasPrefix("https://shop.test/c/abcDEF123.1800003600."), link)
        let token = String(link.dropFirst("https://shop.test/c/".count))
        XCTAssertEqual(links.openPage(token, now: issued), .open(conversationToken: "abcDEF123"))
        XCTAssertEqual(links.openPage(token, now: issued.addingTimeInterval(3599)), .open(conversationToken: "abcDEF123"))
        XCTAssertEqual(links.openPage(token, now: issued.addingTimeInterval(3601)), .expired)
        XCTAssertEqual(links.conversationPage(token: "abcDEF123", issuedAt: issued), link, "the same message carries the same link")
    }

    func testForgedOrMangledPageTokensOpenNothing() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let good = links.pageToken("abc", expires: now.addingTimeInterval(60))
        let parts = good.split(separator: ".").map(String.init)
        for bad in [
            "", "abc", "abc.1.2", "..", "abc.\(parts[1])", "xyz.\(parts[1]).\(parts[2])", "abc.\(Int(parts[1])! + 1).\(parts[2])",
            "abc.\(parts[1]).\(parts[2])x", "abc.\(parts[1]).%%%", "abc.-1.\(parts[2])", good + ".x",
        ] {
            XCTAssertEqual(links.openPage(bad, now: now), .invalid, bad)
        }
        let other = CareLinks(publicURL: "https://shop.test", secret: String(repeating: "t", count: 40))
        XCTAssertEqual(other.openPage(good, now: now), .invalid, "another secret")
    }

    func testWebhookSignatureMatchesTheStandardWebhooksExample() {
        // The example from the Standard Webhooks specification (also checked with Python's hmac).
        let signature = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
            body: Data(#"{"test": 2432232314}"#.utf8), secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        XCTAssertEqual(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    func testNewWebhookSecretsAreRandomAndDecodable() {
        let a = WebhookSignature.newSecret()
        let b = WebhookSignature.newSecret()
        XCTAssertNotEqual(a, b)
        XCTAssertTrue(a.hasPrefix("whsec_"))
        XCTAssertEqual(Data(base64Encoded: String(a.dropFirst(6)))?.count, 24)
    }

    func testOneSilenceHasOneKey() {
        let c = UUID()
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        XCTAssertEqual(TimedTriggers.episodeKey(c, since: t), TimedTriggers.episodeKey(c, since: t))
        XCTAssertNotEqual(TimedTriggers.episodeKey(c, since: t), TimedTriggers.episodeKey(c, since: t.addingTimeInterval(1)))
        XCTAssertNotEqual(TimedTriggers.episodeKey(c, since: t), TimedTriggers.episodeKey(UUID(), since: t))
    }
}

import XCTest

@testable import CareCore

final class ModerationRuleTests: XCTestCase {
    let moderation = Moderation()

    func testHonestAngryReviewsArePublished() {
        // A content rule never sees the stars; these are what unhappy customers really write.
        for text in [
            "Terrible. Broke after a week and support never answered.",
            "This crap leaked all over my counter.",
            "Worst purchase ever!!! Do not buy.",
            "Arrived damaged, see photo https://imgur.example/abc",
        ] {
            XCTAssertEqual(moderation.decide(ReviewContent(title: nil, body: text)), .publish, text)
        }
    }

    func testMoreThanOneLinkIsHeld() {
        let decision = moderation.decide(ReviewContent(title: "Great", body: "cheap at http://spam.example and www.spam2.example"))
        XCTAssertEqual(decision, .hold(rule: "links", reason: "contains 2 links (more than 1)"))
        XCTAssertEqual(LinkSpamRule.countLinks(in: "(https://a.example) <http://b.example> text"), 2)
    }

    func testListedWordsAreHeldAsWholeWordsOnly() {
        guard case .hold(let rule, _) = moderation.decide(ReviewContent(title: nil, body: "the seller is an ASSHOLE")) else {
            return XCTFail("expected a hold")
        }
        XCTAssertEqual(rule, "profanity")
        // Scunthorpe: words containing a listed word are fine.
        XCTAssertEqual(moderation.decide(ReviewContent(title: nil, body: "Shipped to Scunthorpe, arrived fast")), .publish)
    }

    func testSameTextBySameCustomerIsHeldButStarOnlyReviewsNever() {
        let earlier = ["Great kettle\nPours well"]
        guard
            case .hold(let rule, _) = moderation.decide(
                ReviewContent(title: "great  kettle", body: "pours WELL", earlierTextsBySameCustomer: earlier))
        else {
            return XCTFail("expected a duplicate hold")
        }
        XCTAssertEqual(rule, "duplicate")
        XCTAssertEqual(moderation.decide(ReviewContent(title: nil, body: nil, earlierTextsBySameCustomer: [""])), .publish)
        XCTAssertEqual(moderation.decide(ReviewContent(title: "Great kettle", body: "Lid broke", earlierTextsBySameCustomer: earlier)), .publish)
    }

    func testFirstObjectingRuleWins() {
        let decision = moderation.decide(ReviewContent(title: nil, body: "fuck this www.a.example www.b.example"))
        XCTAssertEqual(decision, .hold(rule: "links", reason: "contains 2 links (more than 1)"))
    }
}

final class VerificationTests: XCTestCase {
    typealias Facts = Verification.OrderFacts

    func testNamedOrderMustBeTheReviewersAndContainTheProduct() {
        let order = Facts(orderID: "o1", customerID: "ann", productIDs: ["mug", "bowl"])
        XCTAssertEqual(
            Verification.verifyingOrder(customerID: "ann", productID: "mug", namedOrder: order, orderWasNamed: true, customerOrders: [])?.orderID,
            "o1")
        XCTAssertNil(Verification.verifyingOrder(customerID: "eve", productID: "mug", namedOrder: order, orderWasNamed: true, customerOrders: []))
        XCTAssertNil(Verification.verifyingOrder(customerID: "ann", productID: "kettle", namedOrder: order, orderWasNamed: true, customerOrders: []))
    }

    func testNamedOrderThatDoesNotExistNeverFallsBack() {
        let other = Facts(orderID: "o2", customerID: "ann", productIDs: ["mug"])
        XCTAssertNil(Verification.verifyingOrder(customerID: "ann", productID: "mug", namedOrder: nil, orderWasNamed: true, customerOrders: [other]))
    }

    func testWithoutANamedOrderAnyOrderOfTheReviewerWithTheProductCounts() {
        let orders = [Facts(orderID: "o1", customerID: "ann", productIDs: ["bowl"]), Facts(orderID: "o2", customerID: "ann", productIDs: ["mug"])]
        XCTAssertEqual(
            Verification.verifyingOrder(customerID: "ann", productID: "mug", namedOrder: nil, orderWasNamed: false, customerOrders: orders)?.orderID,
            "o2")
        XCTAssertNil(
            Verification.verifyingOrder(customerID: "ann", productID: "kettle", namedOrder: nil, orderWasNamed: false, customerOrders: orders))
        XCTAssertNil(Verification.verifyingOrder(customerID: "eve", productID: "mug", namedOrder: nil, orderWasNamed: false, customerOrders: orders))
    }
}

final class NameLinkTests: XCTestCase {
    func testNamesThatReadAsLinksAreCaught() {
        for link in [
            "WIN-A-PRIZE-at-http://evil.example/claim", "x.co", "t.co/abc", "evil.com.", "evil.com:8080", "visit evil.com!",
            "evil。com", "evil.xn--p1ai", "www.example",
        ] {
            XCTAssertTrue(Text.carriesLink(link), link)
        }
        for name in ["J. R. Smith", "Ada Lovelace", "Anne-Marie O'Neil", "Zoë", "Dr. Who", "M.J."] {
            XCTAssertFalse(Text.carriesLink(name), name)
        }
    }
}

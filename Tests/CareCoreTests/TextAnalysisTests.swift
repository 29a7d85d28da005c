import XCTest

@testable import CareCore

final class SentimentTests: XCTestCase {
    func testRealPhrasingsLandOnTheRightSide() {
        let negative = [
            "Terrible, broke after two days.", "not good", "Not good at all, very disappointed",
            "good but broke after a week", "Looks nice, however the lid leaks", "It doesn't work",
            "Never again. Rude support and a refund that took a month.",
        ]
        let positive = [
            "Love it!", "Really great kettle, pours perfectly", "not bad at all", "Works well, fast delivery",
            "I was worried it would be flimsy but it is sturdy and beautiful",
        ]
        for text in negative { XCTAssertLessThan(Sentiment.score(text), 0, text) }
        for text in positive { XCTAssertGreaterThan(Sentiment.score(text), 0, text) }
    }

    func testNoSentimentWordsIsNeutralAndScoresStayInRange() {
        XCTAssertEqual(Sentiment.score("Arrived on Tuesday in a box"), 0)
        XCTAssertEqual(Sentiment.score(""), 0)
        for text in ["very very very terrible awful worst", "love love amazing amazing best"] {
            XCTAssertLessThanOrEqual(abs(Sentiment.score(text)), 1)
        }
    }

    func testContrastWeighsTheLaterClause() {
        XCTAssertLessThan(Sentiment.score("great design but it broke"), Sentiment.score("it broke but great design"))
    }
}

final class LukewarmTests: XCTestCase {
    func testThreeStarsIsAlwaysLukewarm() {
        XCTAssertTrue(Lukewarm.isLukewarm(rating: 3, title: nil, body: "Excellent, would buy again"))
        XCTAssertTrue(Lukewarm.isLukewarm(rating: 3, title: nil, body: nil))
    }

    func testShortGenericReviewsAreLukewarm() {
        for text in ["good", "Good.", "ok", "OK!", "fine", "it's okay", "Not bad", "good product", "nice"] {
            XCTAssertTrue(Lukewarm.isLukewarm(rating: 4, title: nil, body: text), text)
        }
        XCTAssertTrue(Lukewarm.isLukewarm(rating: 5, title: "Good", body: nil))
    }

    func testSpecificOrUnhappyReviewsAreNot() {
        XCTAssertFalse(Lukewarm.isLukewarm(rating: 4, title: nil, body: "Good, the handle stays cool and it pours well"))
        XCTAssertFalse(Lukewarm.isLukewarm(rating: 5, title: nil, body: "Great"))
        XCTAssertFalse(Lukewarm.isLukewarm(rating: 5, title: nil, body: nil), "stars only: nothing to read into")
        XCTAssertFalse(Lukewarm.isLukewarm(rating: 1, title: nil, body: "ok"), "1★ is unhappy, handled by the low-rating trigger")
        XCTAssertFalse(Lukewarm.isLukewarm(rating: 2, title: nil, body: "fine"))
    }
}

final class TemplateTests: XCTestCase {
    func testKnownPlaceholdersRenderAndMissingFirstNameReadsThere() throws {
        let t = "Hi {{customer.first_name}}, about {{ product.name }} ({{review.rating}}★)"
        XCTAssertEqual(try Template.validate(t, field: "t"), ["customer.first_name", "product.name", "review.rating"])
        XCTAssertEqual(
            Template.render(t, values: ["customer.first_name": "Ada", "product.name": "Mug", "review.rating": "1"]),
            "Hi Ada, about Mug (1★)")
        // A missing value takes the space before it along: "about (★)", never "about  (★)".
        XCTAssertEqual(Template.render(t, values: [:]), "Hi there, about (★)")
    }

    func testUnknownOrUnclosedPlaceholdersAreRefused() {
        XCTAssertThrowsError(try Template.validate("Hi {{custmer.name}}", field: "actions[0].template")) { error in
            XCTAssertEqual((error as? CareError)?.field, "actions[0].template")
            XCTAssertTrue((error as? CareError)?.message.contains("custmer.name") == true)
        }
        XCTAssertThrowsError(try Template.validate("Hi {{customer.name", field: "t"))
    }
}

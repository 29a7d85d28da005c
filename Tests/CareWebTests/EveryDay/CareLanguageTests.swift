import CareCore
import Fluent
import Foundation
import XCTest

@testable import CareWeb

/// Care speaks the customer's language: a German order's buyer gets the care mail, the customer
/// page and the resolution mail in German; an English buyer in English.
final class CareLanguageTests: XCTestCase {
    func testAGermanBuyerIsCaredForInGermanAndAnEnglishOneInEnglish() async throws {
        let sink = SMTPSink()
        try sink.start()
        defer { sink.stop() }
        try await onEachBackend(tweak: mailConfig(sink)) { server in
            // setup: a store that invites review updates, and two buyers: one ordered in German
            let (store, key) = try await server.makeStore("lang")
            for (email, locale) in [("hanna-\(store.slug)@example.de", "de-DE"), ("ella-\(store.slug)@example.com", "en-GB")] {
                var order = orderJSON(id: "O-\(email)", email: email, fulfilledDaysAgo: 3, products: [("kettle", "Wasserkocher")])
                order["locale"] = locale
                let r = try await server.send(.POST, "/api/v1/orders", key: key, json: order)
                XCTAssertEqual(r.status, .created, r.text)
            }
            for (email, name) in [("hanna-\(store.slug)@example.de", "Hanna Schmidt"), ("ella-\(store.slug)@example.com", "Ella Jones")] {
                let r = try await server.send(
                    .POST, "/api/v1/reviews", key: key,
                    json: reviewJSON(product: "kettle", productName: "Wasserkocher", email: email, name: name, rating: 1, body: "Undicht."))
                XCTAssertEqual(r.status, .created, r.text)
            }

            // check: the care mails
            let german = try await sink.waitFor(1, to: "hanna-\(store.slug)@example.de")[0]
            let germanText = try XCTUnwrap(german["text"] as? String)
            XCTAssertTrue(germanText.contains("Hallo Buyer,"), germanText) // the name the order gave
            XCTAssertTrue(germanText.contains("es tut mir leid, dass Wasserkocher Sie enttäuscht hat"), germanText)
            XCTAssertTrue(germanText.contains("Antworten Sie auf diese E-Mail oder auf Ihrer Seite"), germanText)
            XCTAssertEqual(german.header("Subject"), "Zu Ihrer Bewertung von Wasserkocher")
            XCTAssertFalse(germanText.contains("[de]"), "the other language's text is not sent")
            let english = try await sink.waitFor(1, to: "ella-\(store.slug)@example.com")[0]
            let englishText = try XCTUnwrap(english["text"] as? String)
            XCTAssertTrue(englishText.contains("Hi Buyer,"), englishText)
            XCTAssertTrue(englishText.contains("I'm sorry Wasserkocher let you down"), englishText)
            XCTAssertFalse(englishText.contains("Hallo"), englishText)
            XCTAssertEqual(english.header("Subject"), "About your Wasserkocher review")

            // check: the customer pages, whatever the browser says
            let germanPage = try await server.send(
                .GET, try XCTUnwrap(pagePath(in: germanText)), contentType: nil, headers: ["Accept-Language": "en"])
            XCTAssertTrue(germanPage.text.contains("<html lang=\"de\">"))
            XCTAssertTrue(germanPage.text.contains("Antwort senden"), "German page")
            XCTAssertTrue(germanPage.text.contains("Wir kümmern uns"))
            let englishPage = try await server.send(
                .GET, try XCTUnwrap(pagePath(in: englishText)), contentType: nil, headers: ["Accept-Language": "de"])
            XCTAssertTrue(englishPage.text.contains("<html lang=\"en\">"))
            XCTAssertTrue(englishPage.text.contains("Send my reply"))

            // act: both resolved
            for c in try await server.conversations(key: key) {
                let id = c.id
                let r = try await server.send(.POST, "/api/v1/conversations/\(id)/resolve", key: key, json: [:])
                XCTAssertEqual(r.status, .ok, r.text)
            }
            // check: the resolution mails
            let germanMails = try await sink.waitFor(2, to: "hanna-\(store.slug)@example.de")
            let germanResolution = try XCTUnwrap(germanMails[1]["text"] as? String)
            XCTAssertTrue(germanResolution.contains("wir haben dieses Gespräch als gelöst markiert"), germanResolution)
            let englishMails = try await sink.waitFor(2, to: "ella-\(store.slug)@example.com")
            let englishResolution = try XCTUnwrap(englishMails[1]["text"] as? String)
            XCTAssertTrue(englishResolution.contains("We've marked this conversation as resolved"), englishResolution)
        }
    }

    func testTemplatesPickTheirLanguageAndEmptyValuesLeaveNoGap() {
        let t =
            "Hi {{customer.first_name}},\nFor {{product.name}} try this.\n\n[de]\nHallo {{customer.first_name}},\nFür {{product.name}} versuchen Sie das."
        XCTAssertEqual(CareLanguage.localized(t, to: .de), "Hallo {{customer.first_name}},\nFür {{product.name}} versuchen Sie das.")
        XCTAssertEqual(CareLanguage.localized(t, to: .en), "Hi {{customer.first_name}},\nFor {{product.name}} try this.")
        XCTAssertEqual(Template.render("For {{product.name}} try", values: [:]), "For try")
        XCTAssertEqual(Template.render("Hallo {{customer.first_name}},", values: [:], firstNameFallback: ""), "Hallo,")
        XCTAssertEqual(Template.render("Hi {{customer.first_name}},", values: [:]), "Hi there,")
        XCTAssertEqual(CareLanguage.localizedLine("About it [de] Darüber", to: .de), "Darüber")
        XCTAssertEqual(CareLanguage.localizedLine("About it [de] Darüber", to: .en), "About it")
        XCTAssertEqual(CareLanguage.preferred(acceptLanguage: "fr-CH, fr;q=0.9, de;q=0.8, en;q=0.7"), .de)
        XCTAssertEqual(CareLanguage.preferred(acceptLanguage: "en;q=0.5, de;q=0.4"), .en)
        XCTAssertNil(CareLanguage.preferred(acceptLanguage: String(repeating: "x", count: 5_000)))
        let oldDefault = """
            Hi {{customer.first_name}},

            I'm sorry {{product.name}} let you down. I read your review and I'd like to put this right.
            Could you tell me what went wrong? Just reply to this email; a real person (me) will answer.

            {{store.name}}
            """
        XCTAssertTrue(CareLanguage.localized(oldDefault, to: .de).hasPrefix("Hallo"), "a default stored before it spoke German speaks German too")
    }
}

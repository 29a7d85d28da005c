import Fluent
import Foundation
import XCTest

@testable import CareCore
@testable import CareWeb

/// The request email looks like the shop's: its logo and colour, the products' pictures, the buyer
/// greeted by first name (as the preview in Settings shows), `{product}` in the store's own words.
final class RequestMailLookTests: XCTestCase {
    func testTheRequestMailCarriesTheStoresLookAndAFirstNameGreeting() async throws {
        try await onEachBackend { server in
            // setup: a store with a colour, its own opening words with {product}, and a product with a picture
            let (store, _) = try await server.makeStore("look")
            var settings = RequestSettings()
            settings.texts[.en] = RequestCustomText(intro: "How is your {product} treating you, {name}?")
            let product = Product(
                storeID: store.id!, externalID: "mug", name: "Blue Mug", url: nil, imageURL: "https://cdn.shop.test/mug.jpg", createdAt: Date())
            let customer = Customer(storeID: store.id!, email: "ben@example.com", name: "Ben Nguyen", createdAt: Date())
            let order = Order(
                storeID: store.id!, externalID: "1002", customerID: UUID(), placedAt: nil, fulfilledAt: nil, totalCents: nil, currency: nil,
                createdAt: Date())
            let request = ReviewRequest()
            request.id = UUID()
            request.createdAt = Date()
            var content = RequestMail.Content(
                store: store, customer: customer, order: order, products: [product], request: request, settings: settings)
            content.look = StoreBrand.Look(colour: "#7a1f5c", hasLogo: true)

            // act
            let m = RequestMail.compose(
                content, step: 0, messageID: "x@mail.test", fromAddress: "care@mail.test", mailDomain: "mail.test", links: server.app.care.links,
                date: Date())

            // check
            XCTAssertTrue(m.text.hasPrefix("Hi Ben,\n"), m.text)
            XCTAssertTrue(m.text.contains("How is your Blue Mug treating you, Ben?"), m.text)
            let html = try XCTUnwrap(m.html)
            XCTAssertTrue(html.contains("border-top:4px solid #7a1f5c"), "the store's colour")
            XCTAssertTrue(html.contains("/s/\(store.slug)/logo\""), "the store's logo")
            XCTAssertTrue(html.contains("<img src=\"https://cdn.shop.test/mug.jpg\""), "the product's picture")
            let preview = RequestMail.preview(store: store, settings: RequestSettings(), links: server.app.care.links, mailDomain: "mail.test")
            XCTAssertTrue(preview.text.hasPrefix("Hi Alex,\n"), "the preview greets as the mail does")

            // the logo is served to mail programs without a token; a store without one is 404
            let none = try await server.send(.GET, "/s/\(store.slug)/logo", contentType: nil)
            XCTAssertEqual(none.status, .notFound)
            let unknown = try await server.send(.GET, "/s/no-such-store-\(UUID().uuidString.prefix(6).lowercased())/logo", contentType: nil)
            XCTAssertEqual(unknown.status, .notFound)
        }
    }
}

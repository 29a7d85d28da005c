import CareCore
import Fluent
import Vapor
import XCTest

@testable import CareWeb

/// Showing reviews on other sites: the HTML fragment and JSON-LD, ETag / 304 and CORS.
final class PublicEmbedTests: XCTestCase {
    func testFragmentAndJSONLDShowThePublishedReviewsEscapedAndCountEveryOne() async throws {
        try await onEachBackend { server in
            // setup: three published reviews, one written to break out of HTML and of a script element
            let (store, key) = try await server.makeStore()
            let evil = "</script><img src=x onerror=alert(1)>"
            for (i, (rating, title)) in [(5, "Lovely"), (4, "<script>alert(1)</script>"), (2, "Leaks")].enumerated() {
                let r = try await server.send(
                    .POST, "/api/v1/reviews", key: key,
                    json: reviewJSON(
                        product: "kettle", productName: "Kettle & <Co>", email: "e\(i)@example.com", rating: rating, title: title, body: evil))
                XCTAssertEqual(r.status, .created, r.text)
            }
            _ = try await server.send(
                .POST, "/api/v1/orders", key: key,
                json: orderJSON(id: "E-1", email: "e9@example.com", fulfilledDaysAgo: 100, products: [("lid", "Lid")]))

            // act: the JSON-LD with one review per page
            let ld = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/products/kettle/jsonld?per_page=1", contentType: nil)
            // check: the aggregate counts all three; the page's one review is there
            XCTAssertEqual(ld.status, .ok, ld.text)
            XCTAssertEqual(ld.headers.first(name: .contentType), "application/ld+json; charset=utf-8")
            let product = try ld.json
            XCTAssertEqual(product["@type"] as? String, "Product")
            XCTAssertEqual(product["name"] as? String, "Kettle & <Co>")
            let aggregate = try XCTUnwrap(product["aggregateRating"] as? [String: Any])
            XCTAssertEqual(aggregate["reviewCount"] as? Int, 3)
            XCTAssertEqual(aggregate["ratingValue"] as? String, "3.67")
            let reviews = try XCTUnwrap(product["review"] as? [[String: Any]])
            XCTAssertEqual(reviews.count, 1)
            XCTAssertEqual((reviews[0]["reviewRating"] as? [String: Any])?["ratingValue"] as? Int, 2, "newest first")
            // check: nothing for a product without reviews
            let none = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/products/lid/jsonld", contentType: nil)
            XCTAssertEqual(none.status, .noContent)
            XCTAssertTrue(none.body.isEmpty)

            // act: the HTML fragment, two per page
            let html = try await server.send(.GET, "/embed/\(store.slug)/kettle?per_page=2", contentType: nil)
            XCTAssertEqual(html.status, .ok)
            XCTAssertEqual(html.headers.first(name: .contentType), "text/html; charset=utf-8")
            let text = html.text
            // check: every text escaped; the only script element is the JSON-LD, which cannot be closed early
            XCTAssertTrue(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), text)
            XCTAssertFalse(text.contains("<script>alert"))
            XCTAssertFalse(text.contains("<img"))
            XCTAssertEqual(text.components(separatedBy: "<script").count - 1, 1)
            XCTAssertEqual(text.components(separatedBy: "</script>").count - 1, 1)
            XCTAssertTrue(text.contains("\\u003c/script\\u003e\\u003cimg"), "the JSON-LD has the text, with < > escaped")
            XCTAssertTrue(text.contains("3.7</span> out of 5 · 3 reviews"), text)
            XCTAssertTrue(
                text.contains("Page 1 of 2")
                    && text.contains("\(server.app.care.links.publicURL)/embed/\(store.slug)/kettle?page=2&amp;per_page=2&amp;lang=en\" rel=\"next\""),
                text)
            XCTAssertTrue(text.contains("Verified buyer") == false, "API reviews without an order are not verified")
            let noReviews = try await server.send(.GET, "/embed/\(store.slug)/lid", contentType: nil)
            XCTAssertEqual(noReviews.status, .ok)
            XCTAssertFalse(noReviews.text.contains("ld+json"), "no rating is emitted for a product without one")
            // bad input: unknown product, bad paging
            let unknown = try await server.send(.GET, "/embed/\(store.slug)/nope", contentType: nil)
            XCTAssertEqual(unknown.status, .notFound)
            let badPage = try await server.send(.GET, "/embed/\(store.slug)/kettle?page=0", contentType: nil)
            XCTAssertEqual(badPage.status, .unprocessableEntity)
        }
    }

    func testPublicReadsAnswer304AndAnyOriginWithoutCredentials() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "kettle", email: "a@example.com", rating: 5))
            let paths = [
                "/api/v1/public/stores/\(store.slug)/products/kettle/reviews", "/embed/\(store.slug)/kettle",
                "/api/v1/public/stores/\(store.slug)/products/kettle/jsonld",
            ]
            for path in paths {
                // act
                let first = try await server.send(.GET, path, contentType: nil)
                let tag = try XCTUnwrap(first.headers.first(name: .eTag), path)
                let again = try await server.send(.GET, path, contentType: nil, headers: ["If-None-Match": tag])
                let weak = try await server.send(.GET, path, contentType: nil, headers: ["If-None-Match": "\"x\", W/\(tag)"])
                let other = try await server.send(.GET, path, contentType: nil, headers: ["If-None-Match": "\"stale\""])
                // check
                XCTAssertEqual(first.headers.first(name: .cacheControl), PublicCaching.cacheControl, path)
                XCTAssertEqual(first.headers.first(name: "Access-Control-Allow-Origin"), "*", path)
                XCTAssertEqual(again.status, .notModified, path)
                XCTAssertTrue(again.body.isEmpty, path)
                XCTAssertEqual(again.headers.first(name: .eTag), tag)
                XCTAssertEqual(weak.status, .notModified, path)
                XCTAssertEqual(other.status, .ok, path)
            }
            // act: a new review changes what the list says, so its tag
            let before = try await server.send(.GET, paths[0], contentType: nil).headers.first(name: .eTag)
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "kettle", email: "b@example.com", rating: 3))
            let after = try await server.send(.GET, paths[0], contentType: nil, headers: ["If-None-Match": before ?? ""])
            XCTAssertEqual(after.status, .ok)
            XCTAssertNotEqual(after.headers.first(name: .eTag), before)

            // act: a browser's preflight for the public form, and one for a private route
            let preflight = try await server.send(
                .OPTIONS, "/api/v1/public/stores/\(store.slug)/products/kettle/reviews", contentType: nil,
                headers: ["Origin": "https://shop.example", "Access-Control-Request-Method": "POST"])
            XCTAssertEqual(preflight.status, .noContent)
            XCTAssertEqual(preflight.headers.first(name: "Access-Control-Allow-Origin"), "*")
            XCTAssertTrue(preflight.headers.first(name: "Access-Control-Allow-Methods")?.contains("POST") == true)
            XCTAssertNil(preflight.headers.first(name: "Access-Control-Allow-Credentials"))
            let privateRoute = try await server.send(.GET, "/api/v1/reviews", key: key, contentType: nil, headers: ["Origin": "https://evil.example"])
            XCTAssertNil(privateRoute.headers.first(name: "Access-Control-Allow-Origin"), "the store's own API is not for other sites")
            let submit = try await server.send(
                .POST, "/api/v1/public/stores/\(store.slug)/products/kettle/reviews",
                json: ["rating": 4, "author_name": "Pat", "author_email": "pat@example.com"], headers: ["Origin": "https://shop.example"])
            XCTAssertEqual(submit.headers.first(name: "Access-Control-Allow-Origin"), "*", submit.text)
        }
    }

    func testSummariesOfManyProductsInOneRequestAndTheWidgetFile() async throws {
        try await onEachBackend { server in
            // setup
            let (store, key) = try await server.makeStore()
            for (product, rating) in [("a", 5), ("a", 4), ("b", 1)] {
                _ = try await server.send(
                    .POST, "/api/v1/reviews", key: key,
                    json: reviewJSON(product: product, productName: product.uppercased(), email: "\(product)\(rating)@x.example", rating: rating))
            }
            // act
            let r = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/summaries?products=a,b,nope,a", contentType: nil)
            // check: known products only, each once
            XCTAssertEqual(r.status, .ok, r.text)
            let products = try XCTUnwrap(try r.json["products"] as? [String: [String: Any]])
            XCTAssertEqual(Set(products.keys), ["a", "b"])
            XCTAssertEqual(products["a"]?["count"] as? Int, 2)
            XCTAssertEqual(products["a"]?["average"] as? Double, 4.5)
            XCTAssertEqual(products["b"]?["count"] as? Int, 1)
            // bad input: none named, too many, an unknown store
            let none = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/summaries?products=", contentType: nil)
            XCTAssertEqual(none.status, .unprocessableEntity)
            let many = (1...51).map { "p\($0)" }.joined(separator: ",")
            let tooMany = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/summaries?products=\(many)", contentType: nil)
            XCTAssertEqual(tooMany.status, .unprocessableEntity)
            XCTAssertTrue(tooMany.errorMessage?.contains("at most 50") == true, tooMany.text)
            let noStore = try await server.send(.GET, "/api/v1/public/stores/no-such-store/summaries?products=a", contentType: nil)
            XCTAssertEqual(noStore.status, .notFound)

            // act: the widget file
            let js = try await server.send(.GET, "/widget.js", contentType: nil)
            XCTAssertEqual(js.status, .ok)
            XCTAssertEqual(js.headers.first(name: .contentType), "text/javascript; charset=utf-8")
            XCTAssertTrue(js.text.contains("data-careloop-product"))
            let tag = try XCTUnwrap(js.headers.first(name: .eTag))
            let cached = try await server.send(.GET, "/widget.js", contentType: nil, headers: ["If-None-Match": tag])
            XCTAssertEqual(cached.status, .notModified)
        }
    }

    func testReviewPolicyPageSaysWhatTheSettingsDo() async throws {
        try await onEachBackend { server in
            // setup
            let (store, _) = try await server.makeStore()
            let before = try await server.send(.GET, "/s/\(store.slug)/review-policy", contentType: nil)
            XCTAssertEqual(before.status, .ok)
            XCTAssertTrue(before.text.contains("7 days after the order was fulfilled"), before.text)
            XCTAssertTrue(before.text.contains("One reminder follows 13 days later"), before.text)
            // act: the owner changes the plan
            var settings = RequestSettings()
            settings.delayDays = 3
            settings.reminderDays = []
            try await RequestSettings.save(settings, storeID: store.id!, storage: server.app.care.storage, on: server.app.db)
            // check: the page follows
            let after = try await server.send(.GET, "/s/\(store.slug)/review-policy", contentType: nil)
            XCTAssertTrue(after.text.contains("3 days after the order was fulfilled") && after.text.contains("No reminder follows."), after.text)
            let none = try await server.send(.GET, "/s/no-such-store/review-policy", contentType: nil)
            XCTAssertEqual(none.status, .notFound)
        }
    }
}

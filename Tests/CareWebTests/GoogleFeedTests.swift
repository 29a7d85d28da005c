import CareCore
import Fluent
import Foundation
import NIOCore
import SQLKit
import Vapor
import XCTest

@testable import CareWeb

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Google's product ratings feed (`/feeds/{slug}/google-product-reviews.xml`): every published review of
/// the store and nothing else, text that survives an XML parser exactly, ETag / 304, and more reviews
/// than one page.
final class GoogleFeedTests: XCTestCase {
    let hard = "Ends ]]> here, <b>not bold</b> & AT&T said \"quoted\" 'single' 😀\r\nsecond line\ttabbed"

    func testFeedListsEachPublishedReviewOfTheStoreOnceWithItsFacts() async throws {
        try await onEachBackend { server in
            // setup: two stores; the first's name and a review's text written to break XML
            let (store, key) = try await server.makeStore("feed")
            let (_, otherKey) = try await server.makeStore("other")
            let shopName = "Feed & \"Friends\" <Shop>"
            try await server.app.db.sql.raw("UPDATE stores SET name = \(bind: shopName) WHERE id = \(bind: store.id!)").run()
            let lamp: [String: Any] = ["external_id": "lamp", "name": "Lamp <Deluxe> & Co", "url": "https://shop.example/products/lamp"]
            var hardJSON = reviewJSON(email: "bea@example.com", name: "Bea Buyer", rating: 5, title: "Say \"hi\" & 'bye'", body: hard)
            hardJSON["product"] = lamp
            let hardID = try await post(server, key, hardJSON)
            var noNameJSON = reviewJSON(email: "nn@example.com", name: nil, rating: 4, body: "No name given")
            noNameJSON["product"] = lamp
            let noNameID = try await post(server, key, noNameJSON)
            let titleOnlyID = try await post(
                server, key, reviewJSON(product: "mug", productName: "Mug", email: "t@example.com", rating: 3, title: "Just a title"))
            let starsOnlyID = try await post(server, key, reviewJSON(product: "mug", productName: "Mug", email: "s@example.com", rating: 2))
            let held = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "h@example.com", body: "www.a.example www.b.example"))
            XCTAssertEqual(try held.json["status"] as? String, "pending")
            let rejectedID = try await post(server, key, reviewJSON(email: "r@example.com", body: "Soon rejected"))
            let rejected = try await server.send(.POST, "/api/v1/reviews/\(rejectedID)/reject", key: key, json: ["reason": "spam"])
            XCTAssertEqual(rejected.status, .ok, rejected.text)
            _ = try await post(server, otherKey, reviewJSON(email: "o@example.com", body: "Another store's review"))
            let requestID = try await reviewFromRequest(server, store, key)
            try await server.app.db.sql.raw(
                """
                UPDATE products SET sku = 'LAMP-1', gtin = '4006381333931', brand = 'Acme & Sons'
                WHERE store_id = \(bind: store.id!) AND external_id = 'lamp'
                """
            ).run()

            // act
            let r = try await server.send(.GET, "/feeds/\(store.slug)/google-product-reviews.xml", contentType: nil)

            // check: a well-formed 2.3 feed of the store's published reviews that have text, each once
            XCTAssertEqual(r.status, .ok, r.text)
            XCTAssertEqual(r.headers.first(name: .contentType), "application/xml; charset=utf-8")
            XCTAssertFalse(r.text.contains("CDATA"))
            let feed = try XMLTree.parse(r.body)
            XCTAssertEqual(feed.name, "feed")
            XCTAssertEqual(feed.attributes["xsi:noNamespaceSchemaLocation"], ProductReviewFeedXML.schemaLocation)
            XCTAssertEqual(feed.attributes["xmlns:xsi"], "http://www.w3.org/2001/XMLSchema-instance")
            XCTAssertEqual(feed.children.map(\.name), ["version", "publisher", "reviews"])
            XCTAssertEqual(feed.child("version")?.text, "2.3")
            XCTAssertEqual(feed.child("publisher")?.child("name")?.text, shopName)
            let reviews = try XCTUnwrap(feed.child("reviews")).children
            let byID = Dictionary(reviews.map { ($0.child("review_id")?.text ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            XCTAssertEqual(reviews.count, 4, "no review twice")
            XCTAssertEqual(Set(byID.keys), [hardID, noNameID, titleOnlyID, requestID], "not held, rejected, stars-only or another store's")
            XCTAssertNil(byID[starsOnlyID], "a review with neither title nor text has no content for Google")

            // check: the hard text comes back exactly as stored; the product's identifiers are there
            let h = try XCTUnwrap(byID[hardID])
            let stored = try await server.send(.GET, "/api/v1/reviews/\(hardID)", key: key).json
            XCTAssertEqual(stored["body"] as? String, hard)
            XCTAssertEqual(h.child("content")?.text, hard)
            XCTAssertEqual(h.child("title")?.text, "Say \"hi\" & 'bye'")
            XCTAssertEqual(
                h.children.map(\.name),
                [
                    "review_id", "reviewer", "review_timestamp", "title", "content", "review_url", "ratings", "products", "is_spam",
                    "collection_method",
                ],
                "the schema's order")
            XCTAssertEqual(h.child("reviewer")?.child("name")?.text, "Bea B.")
            XCTAssertEqual(h.child("reviewer")?.child("name")?.attributes["is_anonymous"], "false")
            XCTAssertEqual(h.child("review_url")?.text, "https://shop.example/products/lamp#review-\(hardID.lowercased())")
            XCTAssertEqual(h.child("review_url")?.attributes["type"], "group")
            let overall = try XCTUnwrap(h.child("ratings")?.child("overall"))
            XCTAssertEqual([overall.text, overall.attributes["min"], overall.attributes["max"]], ["5", "1", "5"])
            let product = try XCTUnwrap(h.child("products")?.child("product"))
            let ids = try XCTUnwrap(product.child("product_ids"))
            XCTAssertEqual(ids.children.map(\.name), ["gtins", "skus", "brands"], "no MPN: the shop gave none")
            XCTAssertEqual(ids.child("gtins")?.child("gtin")?.text, "4006381333931")
            XCTAssertEqual(ids.child("skus")?.child("sku")?.text, "LAMP-1")
            XCTAssertEqual(ids.child("brands")?.child("brand")?.text, "Acme & Sons")
            XCTAssertEqual(product.child("product_name")?.text, "Lamp <Deluxe> & Co")
            XCTAssertEqual(product.child("product_url")?.text, "https://shop.example/products/lamp")
            XCTAssertEqual(h.child("is_spam")?.text, "false")
            XCTAssertEqual(h.child("collection_method")?.text, "unsolicited")
            let time = try XCTUnwrap(h.child("review_timestamp")?.text)
            XCTAssertTrue(time.hasSuffix("Z"), time)
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            XCTAssertNotNil(iso.date(from: time), time)

            // check: no public name is anonymous; a review without text takes its title; a product
            // without a page is shown by CareLoop's page of its reviews; the request's review says so
            let n = try XCTUnwrap(byID[noNameID]?.child("reviewer")?.child("name"))
            XCTAssertEqual([n.text, n.attributes["is_anonymous"]], ["Anonymous", "true"])
            let t = try XCTUnwrap(byID[titleOnlyID])
            XCTAssertEqual(t.child("content")?.text, "Just a title")
            let mugPage = "\(server.app.care.links.publicURL)/embed/\(store.slug)/mug"
            XCTAssertEqual(t.child("review_url")?.text, mugPage)
            XCTAssertEqual(t.child("products")?.child("product")?.child("product_url")?.text, mugPage)
            XCTAssertNil(t.child("products")?.child("product")?.child("product_ids"))
            XCTAssertEqual(byID[requestID]?.child("collection_method")?.text, "post_fulfillment")
            XCTAssertEqual(byID[noNameID]?.child("collection_method")?.text, "unsolicited")

            // check: the ETag answers 304 until a review changes
            let tag = try XCTUnwrap(r.headers.first(name: .eTag))
            XCTAssertTrue(tag.hasPrefix("W/\""), tag)
            let same = try await server.send(
                .GET, "/feeds/\(store.slug)/google-product-reviews.xml", contentType: nil, headers: ["If-None-Match": tag])
            XCTAssertEqual(same.status, .notModified)
            XCTAssertTrue(same.body.isEmpty)
            _ = try await post(server, key, reviewJSON(email: "new@example.com", body: "A new one"))
            let changed = try await server.send(
                .GET, "/feeds/\(store.slug)/google-product-reviews.xml", contentType: nil, headers: ["If-None-Match": tag])
            XCTAssertEqual(changed.status, .ok)
            XCTAssertNotEqual(changed.headers.first(name: .eTag), tag)
            XCTAssertEqual(try XMLTree.parse(changed.body).child("reviews")?.children.count, 5)
        }
    }

    func testUnknownOrOddStoreIs404AndAStoreWithoutReviewsIsAValidEmptyFeed() async throws {
        try await onEachBackend { server in
            for slug in ["no-such-store", "%E2%80%AE%00", String(repeating: "x", count: 3_000)] {
                let r = try await server.send(.GET, "/feeds/\(slug)/google-product-reviews.xml", contentType: nil)
                XCTAssertEqual(r.status, .notFound, slug)
                XCTAssertEqual(r.errorCode, "not_found", r.text)
            }
            let (store, _) = try await server.makeStore("empty")
            let r = try await server.send(.GET, "/feeds/\(store.slug)/google-product-reviews.xml", contentType: nil)
            XCTAssertEqual(r.status, .ok)
            let feed = try XMLTree.parse(r.body)
            XCTAssertEqual(feed.children.map(\.name), ["version", "publisher"], "`<reviews>` must not be empty: it is left out")
        }
    }

    func testMoreReviewsThanOnePageAreEachListedOnce() async throws {
        try await onEachBackend { server in
            // setup: 1 200 published reviews on three instants (ties cross the page ends), 30 pending
            let (store, key) = try await server.makeStore("bulk")
            let firstID = try await post(server, key, reviewJSON(product: "bulk", email: "b@example.com", body: "The first"))
            let firstRow = try await server.app.db.sql.raw(
                "SELECT product_id, customer_id FROM reviews WHERE id = \(bind: UUID(uuidString: firstID)!)"
            ).first()
            let first = try XCTUnwrap(firstRow)
            let productID = try first.decode(column: "product_id", as: UUID.self)
            let customerID = try first.decode(column: "customer_id", as: UUID.self)
            let instants = [1_700_000_000.123456, 1_700_000_000.123457, 1_700_000_100].map { Date(timeIntervalSince1970: $0) }
            var expected: Set<String> = [firstID]
            for batch in 0..<13 {
                var rows: [SQLQueryString] = []
                for i in 0..<100 {
                    let n = batch * 100 + i
                    guard n < 1_229 else { break }
                    let id = UUID()
                    let published = n < 1_199
                    if published { expected.insert(id.uuidString) }
                    let at = instants[n % 3]
                    rows.append(
                        """
                        (\(bind: id), \(bind: store.id!), \(bind: productID), \(bind: customerID), \(bind: 1 + n % 5), \(bind: "Review \(n)"),
                         'Bulk B.', \(bind: published ? "published" : "pending"), \(bind: false), 'api', \(bind: at), \(bind: at))
                        """)
                }
                try await server.app.db.sql.raw(
                    """
                    INSERT INTO reviews (id, store_id, product_id, customer_id, rating, body, author_name, status, verified, source, created_at, updated_at)
                    VALUES \(rows.joined(separator: ", "))
                    """
                ).run()
            }

            // act
            let started = Date()
            let r = try await server.send(.GET, "/feeds/\(store.slug)/google-product-reviews.xml", contentType: nil)
            let seconds = Date().timeIntervalSince(started)

            // check: each published review once, in time order
            XCTAssertEqual(r.status, .ok)
            let reviews = try XCTUnwrap(try XMLTree.parse(r.body).child("reviews")).children
            let ids = reviews.compactMap { $0.child("review_id")?.text }
            XCTAssertEqual(ids.count, 1_200)
            XCTAssertEqual(Set(ids), expected)
            let times = reviews.compactMap { $0.child("review_timestamp")?.text }
            XCTAssertEqual(times, times.sorted())
            print("[\(server.backend)] 1 200 reviews, \(r.body.count) bytes in \(String(format: "%.2f", seconds)) s")
        }
    }

    /// Without a server: characters XML forbids are left out, everything else comes back exactly.
    func testTextThatCouldBreakTheFeedRoundTripsAndForbiddenCharactersAreDropped() throws {
        let forbidden = "a\u{0}b\u{1}c\u{8}d\u{B}e\u{C}f\u{1F}g\u{FFFE}h\u{FFFF}i"
        let kept = "\u{7F}\u{85}\u{FFFD}\u{E000}\u{10FFFF}\u{D7FF} ]]]]>]]> &amp; &#13; <![CDATA[x]]>"
        let item = ProductReviewFeed.Item(
            id: UUID(), rating: 4, title: "\u{1}\u{2}", body: forbidden + kept + hard, authorName: "\u{FFFF} ", fromRequest: true,
            createdAt: Date(timeIntervalSince1970: 0),
            product: .init(
                externalID: "a/b c", name: "<Name>", url: "javascript:alert(1)", sku: " ", gtin: "12-34", mpn: "M&M", brand: nil))
        var out = ByteBuffer()
        ProductReviewFeedXML.head(publisher: "\u{0}", into: &out)
        out.writeString("<reviews>")
        ProductReviewFeedXML.review(item, links: .init(publicURL: "https://care.example", slug: "s p"), into: &out)
        out.writeString("</reviews></feed>")

        let feed = try XMLTree.parse(Data(buffer: out))
        XCTAssertEqual(feed.child("publisher")?.child("name")?.text, "CareLoop store", "a blank name is not left empty")
        let review = try XCTUnwrap(feed.child("reviews")?.child("review"))
        XCTAssertEqual(review.child("content")?.text, "abcdefghi" + kept + hard)
        XCTAssertNil(review.child("title"), "a title of forbidden characters alone is no title")
        XCTAssertEqual(review.child("reviewer")?.child("name")?.attributes["is_anonymous"], "true")
        XCTAssertEqual(review.child("review_url")?.text, "https://care.example/embed/s%20p/a%2Fb%20c", "not a javascript: URL")
        let ids = try XCTUnwrap(review.child("products")?.child("product")?.child("product_ids"))
        XCTAssertEqual(ids.children.map(\.name), ["mpns"], "no blank SKU, no GTIN that is not one")
        XCTAssertEqual(ids.child("mpns")?.child("mpn")?.text, "M&M")
        XCTAssertEqual(review.child("collection_method")?.text, "post_fulfillment")
    }

    // MARK: - Helpers

    /// Posts a review and returns its id.
    func post(_ server: TestServer, _ key: String, _ json: [String: Any]) async throws -> String {
        let r = try await server.send(.POST, "/api/v1/reviews", key: key, json: json)
        XCTAssertEqual(r.status, .created, r.text)
        return try XCTUnwrap(try r.json["id"] as? String)
    }

    /// A review written through the request form, the way a buyer answers the email after delivery.
    func reviewFromRequest(_ server: TestServer, _ store: Store, _ key: String) async throws -> String {
        var settings = RequestSettings()
        settings.quietStartHour = 0
        settings.quietEndHour = 0
        try await RequestSettings.save(settings, storeID: store.id!, storage: server.app.care.storage, on: server.app.db)
        let order = try await server.send(
            .POST, "/api/v1/orders", key: key,
            json: orderJSON(id: "G-1", email: "asked@example.com", fulfilledDaysAgo: 8, products: [("kettle", "Kettle")]))
        XCTAssertEqual(order.status, .created, order.text)
        try await ReviewRequests.sweep(storage: server.app.care.storage, on: server.app.db)
        let request = try await ReviewRequest.query(on: server.app.db).filter(\.$storeID == store.id!).first()
        let token = server.app.care.links.requestToken(try XCTUnwrap(request).id!, createdAt: request!.createdAt)
        let form = try await server.send(
            .POST, "/r/\(token)", raw: Data("product=kettle&rating=4&body=Asked+after+delivery".utf8),
            contentType: "application/x-www-form-urlencoded")
        XCTAssertLessThan(form.status.code, 400, form.text)
        let review = try await Review.query(on: server.app.db).filter(\.$storeID == store.id!).filter(\.$source == .request).first()
        return try XCTUnwrap(review?.id).uuidString
    }
}

/// A parsed XML document, small enough to walk in a test.
final class XMLTree {
    let name: String
    let attributes: [String: String]
    var text = ""
    var children: [XMLTree] = []

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }

    /// Parses with Foundation's XMLParser (libxml2 on Linux); a document that is not well-formed fails.
    static func parse(_ data: Data) throws -> XMLTree {
        let reader = Reader()
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        guard parser.parse(), let root = reader.root else {
            throw TestFailure("not well-formed: \(String(describing: parser.parserError)) in \(String(decoding: data.prefix(2_000), as: UTF8.self))")
        }
        return root
    }

    final class Reader: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
            attributes attributeDict: [String: String] = [:]
        ) {
            let node = XMLTree(name: elementName, attributes: attributeDict)
            stack.last?.children.append(node)
            if stack.isEmpty { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            _ = stack.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            stack.last?.text += "<CDATA>"
        }
    }
}

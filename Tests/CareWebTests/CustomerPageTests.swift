import CareCore
import Vapor
import XCTest

@testable import CareWeb

/// The customer's hosted page: the thread, escaped, and a reply form that reaches the store.
final class CustomerPageTests: XCTestCase {
    func testPageShowsTheThreadEscapedAndTakesTheCustomersReply() async throws {
        try await onEachBackend { server in
            // setup: a 1★ review from a customer whose name is a script
            let (_, key) = try await server.makeStore()
            _ = try await server.send(
                .POST, "/api/v1/reviews", key: key,
                json: reviewJSON(
                    email: "xss-\(server.backend)@example.com", name: "<script>alert(1)</script> Smith", rating: 1,
                    body: "<img src=x onerror=alert(2)>"))
            let id = try unwrapped(try await server.conversations(key: key).first?.id)
            let pageURL = try unwrapped(try await server.conversation(id, key: key).pageUrl)
            let token = String(try XCTUnwrap(URL(string: pageURL)?.path).dropFirst("/c/".count))

            // act
            let page = try await server.send(.GET, "/c/\(token)", contentType: nil)
            // check: the care message is there, and the name is text, not markup
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.headers.first(name: .contentType)?.hasPrefix("text/html") == true)
            XCTAssertTrue(page.text.contains("Hi &lt;script&gt;alert(1)&lt;/script&gt;,"), "\(page.text.count) chars: \(page.text.prefix(3000))")
            XCTAssertFalse(page.text.contains("<script>alert(1)"))
            XCTAssertTrue(page.text.contains("<textarea id=\"body\" name=\"body\""))

            // act: the customer replies on the page
            let posted = try await server.send(
                .POST, "/c/\(token)", raw: Data("body=It+leaks+%3Cb%3Eevery%3C%2Fb%3E+time".utf8),
                contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(posted.status, .seeOther)
            XCTAssertEqual(posted.headers.first(name: .location), "/c/\(token)")
            let last = try unwrapped(try await server.conversation(id, key: key).messages?.last)
            XCTAssertEqual(last.author, "customer")
            XCTAssertEqual(last.body, "It leaks <b>every</b> time")
            let again = try await server.send(.GET, "/c/\(token)", contentType: nil)
            XCTAssertTrue(again.text.contains("It leaks &lt;b&gt;every&lt;/b&gt; time"))

            // bad input: unknown token, empty reply
            let unknown = try await server.send(.GET, "/c/not-a-token", contentType: nil)
            XCTAssertEqual(unknown.status, .notFound)
            let empty = try await server.send(.POST, "/c/\(token)", raw: Data("body=".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(empty.status, .unprocessableEntity)
            XCTAssertTrue(empty.headers.first(name: .contentType)?.hasPrefix("text/html") == true, "a page answers errors as a page")
        }
    }

    func testPageLinksAreSignedAndExpire() async throws {
        try await onEachBackend { server in
            // setup: a conversation and its page token
            let (_, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(email: "t-\(server.backend)@example.com", rating: 2))
            let id = try unwrapped(try await server.conversations(key: key).first?.id)
            let conversation = try await Conversation.find(UUID(uuidString: id), on: server.app.db)!
            let links = server.app.care.links
            let valid = links.pageToken(conversation.token, expires: Date().addingTimeInterval(3600))
            let got1 = try await server.send(.GET, "/c/\(valid)", contentType: nil).status
            XCTAssertEqual(got1, .ok)

            // act + check: the bare conversation token is not a page link
            let got2 = try await server.send(.GET, "/c/\(conversation.token)", contentType: nil).status
            XCTAssertEqual(got2, .notFound)
            // a changed signature, or a stretched expiry with the old signature, opens nothing
            let parts = valid.split(separator: ".").map(String.init)
            let flipped = parts[2].last == "A" ? "B" : "A"
            let forged = "\(parts[0]).\(parts[1]).\(parts[2].dropLast())\(flipped)"
            let got3 = try await server.send(.GET, "/c/\(forged)", contentType: nil).status
            XCTAssertEqual(got3, .notFound)
            let stretched = "\(parts[0]).\(Int(parts[1])! + 86_400 * 365).\(parts[2])"
            let got4 = try await server.send(.GET, "/c/\(stretched)", contentType: nil).status
            XCTAssertEqual(got4, .notFound)
            // another installation's secret signs nothing here
            let foreign = CareLinks(publicURL: "https://x.test", secret: String(repeating: "z", count: 40))
                .pageToken(conversation.token, expires: Date().addingTimeInterval(3600))
            let got5 = try await server.send(.GET, "/c/\(foreign)", contentType: nil).status
            XCTAssertEqual(got5, .notFound)
            // an expired link says so, as a page, and takes no reply
            let expired = links.pageToken(conversation.token, expires: Date().addingTimeInterval(-60))
            let old = try await server.send(.GET, "/c/\(expired)", contentType: nil)
            XCTAssertEqual(old.status, .gone)
            XCTAssertTrue(old.text.contains("This link has expired"), old.text)
            let late = try await server.send(.POST, "/c/\(expired)", raw: Data("body=hello".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(late.status, .gone)
            let messages = try unwrapped(try await server.conversation(id, key: key).messages)
            XCTAssertFalse(messages.contains { $0.author == "customer" })
        }
    }
}

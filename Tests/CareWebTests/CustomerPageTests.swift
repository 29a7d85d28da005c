import CareCore
@testable import CareWeb
import Vapor
import XCTest

/// The customer's hosted page: the thread, escaped, and a reply form that reaches the store.
final class CustomerPageTests: XCTestCase {
    func testPageShowsTheThreadEscapedAndTakesTheCustomersReply() async throws {
        try await onEachBackend { server in
            // setup: a 1★ review from a customer whose name is a script
            let (_, key) = try await server.makeStore()
            _ = try await server.send(.POST, "/api/v1/reviews", key: key, json: reviewJSON(
                email: "xss-\(server.backend)@example.com", name: "<script>alert(1)</script> Smith", rating: 1, body: "<img src=x onerror=alert(2)>"))
            let inbox = try await server.send(.GET, "/api/v1/conversations", key: key).json
            let id = try XCTUnwrap((inbox["conversations"] as? [[String: Any]])?.first?["id"] as? String)
            let token = try await Conversation.find(UUID(uuidString: id), on: server.app.db)!.token

            // act
            let page = try await server.send(.GET, "/c/\(token)", contentType: nil)
            // check: the care message is there, and the name is text, not markup
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.headers.first(name: .contentType)?.hasPrefix("text/html") == true)
            XCTAssertTrue(page.text.contains("Hi &lt;script&gt;alert(1)&lt;/script&gt;,"), "\(page.text.count) chars: \(page.text.prefix(3000))")
            XCTAssertFalse(page.text.contains("<script>alert(1)"))
            XCTAssertTrue(page.text.contains("<textarea id=\"body\" name=\"body\""))

            // act: the customer replies on the page
            let posted = try await server.send(.POST, "/c/\(token)", raw: Data("body=It+leaks+%3Cb%3Eevery%3C%2Fb%3E+time".utf8),
                                               contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(posted.status, .seeOther)
            XCTAssertEqual(posted.headers.first(name: .location), "/c/\(token)")
            let detail = try await server.send(.GET, "/api/v1/conversations/\(id)", key: key).json
            let last = try XCTUnwrap((detail["messages"] as? [[String: Any]])?.last)
            XCTAssertEqual(last["author"] as? String, "customer")
            XCTAssertEqual(last["body"] as? String, "It leaks <b>every</b> time")
            let again = try await server.send(.GET, "/c/\(token)", contentType: nil)
            XCTAssertTrue(again.text.contains("It leaks &lt;b&gt;every&lt;/b&gt; time"))

            // bad input: unknown token, empty reply
            let unknown = try await server.send(.GET, "/c/not-a-token", contentType: nil)
            XCTAssertEqual(unknown.status, .notFound)
            let empty = try await server.send(.POST, "/c/\(token)", raw: Data("body=".utf8), contentType: "application/x-www-form-urlencoded")
            XCTAssertEqual(empty.status, .unprocessableEntity)
        }
    }
}

import Foundation
import XCTest

@testable import CareWeb

/// The tests' response types (`API.*`) are the OpenAPI schemas: the same property names, and real
/// responses decode into them on both backends.
final class APISchemaTests: XCTestCase {
    static func snake(_ name: String) -> String {
        name.reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
    }

    /// The stored property names of a decoded value, as the API spells them.
    static func fields(of value: Any) -> Set<String> {
        Set(Mirror(reflecting: value).children.compactMap(\.label).map(snake))
    }

    /// The keys a response body's JSON object has (decoding alone would ignore one too many).
    static func keys(_ reply: TestServer.Reply, at path: [String] = []) throws -> Set<String> {
        var node: Any = try reply.json
        for step in path {
            if let index = Int(step) { node = try XCTUnwrap((node as? [Any])?[index]) } else { node = try XCTUnwrap((node as? [String: Any])?[step]) }
        }
        return Set(try XCTUnwrap(node as? [String: Any]).keys)
    }

    func testEachTestTypeListsItsSchemasProperties() throws {
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: OpenAPIController.document) as? [String: Any])
        let schemas = try XCTUnwrap((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for (name, properties) in API.schemas {
            let schema = try XCTUnwrap(schemas[name] as? [String: Any], name)
            let documented = Set(((schema["properties"] as? [String: Any]) ?? [:]).keys)
            XCTAssertEqual(Set(properties), documented, "\(name): the test type and openapi.json differ")
        }
    }

    func testRealResponsesDecodeIntoTheSchemasTypes() async throws {
        try await onEachBackend { server in
            let (store, key) = try await server.makeStore()
            let posted = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "mug", rating: 1, title: "Chipped", body: "It came chipped."))
            let created: API.Review = try posted.decoded()
            XCTAssertEqual(Self.fields(of: created), Set(API.schemas["Review"]!))
            XCTAssertEqual(try Self.keys(posted), Set(API.schemas["Review"]!).subtracting(["history"]), "history only on the single-review view")
            XCTAssertEqual(created.rating, 1)
            XCTAssertEqual(created.product?.externalId, "mug")

            let listed = try await server.send(.GET, "/api/v1/reviews", key: key)
            let list: API.ReviewList = try listed.decoded()
            XCTAssertEqual(Self.fields(of: list), Set(API.schemas["ReviewList"]!))
            XCTAssertEqual(try Self.keys(listed), Set(API.schemas["ReviewList"]!))
            XCTAssertEqual(list.reviews.map(\.id), [created.id])
            XCTAssertEqual(list.total, 1)

            let publicPage = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/products/mug/reviews")
            let shown: API.PublicReviewList = try publicPage.decoded()
            XCTAssertEqual(Self.fields(of: shown), Set(API.schemas["PublicReviewList"]!))
            XCTAssertEqual(try Self.keys(publicPage), Set(API.schemas["PublicReviewList"]!))
            XCTAssertEqual(try Self.keys(publicPage, at: ["reviews", "0"]), Set(API.schemas["PublicReview"]!))
            XCTAssertEqual(try Self.keys(publicPage, at: ["summary"]), Set(API.schemas["Summary"]!))
            XCTAssertEqual(Self.fields(of: shown.summary), Set(API.schemas["Summary"]!))
            XCTAssertEqual(shown.reviews.map(\.id), [created.id])
            XCTAssertEqual(Self.fields(of: try XCTUnwrap(shown.reviews.first)), Set(API.schemas["PublicReview"]!))

            // A 1★ review opens a conversation (the default care trigger).
            let conversationList = try await server.send(.GET, "/api/v1/conversations", key: key)
            let conversations: API.ConversationList = try conversationList.decoded()
            XCTAssertEqual(Self.fields(of: conversations), Set(API.schemas["ConversationList"]!))
            XCTAssertEqual(try Self.keys(conversationList), Set(API.schemas["ConversationList"]!))
            XCTAssertEqual(
                try Self.keys(conversationList, at: ["conversations", "0"]), Set(API.schemas["Conversation"]!).subtracting(["messages", "page_url"]),
                "messages and the page only on the single conversation")
            let opened = try XCTUnwrap(conversations.conversations.first)
            XCTAssertEqual(opened.reviewId, created.id)
            let single = try await server.send(.GET, "/api/v1/conversations/\(opened.id)", key: key)
            let one: API.Conversation = try single.decoded()
            XCTAssertEqual(Self.fields(of: one), Set(API.schemas["Conversation"]!))
            XCTAssertEqual(try Self.keys(single), Set(API.schemas["Conversation"]!))
            let message = try XCTUnwrap(one.messages?.first)
            XCTAssertEqual(Self.fields(of: message), Set(API.schemas["Message"]!))
            XCTAssertEqual(try Self.keys(single, at: ["messages", "0"]), Set(API.schemas["Message"]!))

            let refused = try await server.send(.GET, "/api/v1/reviews?per_page=0", key: key)
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertEqual(try refused.apiError.code, "invalid_field")
            XCTAssertEqual(try refused.apiError.field, "per_page")
        }
    }
}

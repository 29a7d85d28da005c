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
            let created: API.Review = try await server.send(
                .POST, "/api/v1/reviews", key: key, json: reviewJSON(product: "mug", rating: 1, title: "Chipped", body: "It came chipped.")
            ).decoded()
            XCTAssertEqual(Self.fields(of: created), Set(API.schemas["Review"]!))
            XCTAssertEqual(created.rating, 1)
            XCTAssertEqual(created.product?.externalId, "mug")

            let list: API.ReviewList = try await server.send(.GET, "/api/v1/reviews", key: key).decoded()
            XCTAssertEqual(Self.fields(of: list), Set(API.schemas["ReviewList"]!))
            XCTAssertEqual(list.reviews.map(\.id), [created.id])
            XCTAssertEqual(list.total, 1)

            let shown: API.PublicReviewList = try await server.send(.GET, "/api/v1/public/stores/\(store.slug)/products/mug/reviews").decoded()
            XCTAssertEqual(Self.fields(of: shown), Set(API.schemas["PublicReviewList"]!))
            XCTAssertEqual(Self.fields(of: shown.summary), Set(API.schemas["Summary"]!))
            XCTAssertEqual(shown.reviews.map(\.id), [created.id])
            XCTAssertEqual(Self.fields(of: try XCTUnwrap(shown.reviews.first)), Set(API.schemas["PublicReview"]!))

            // A 1★ review opens a conversation (the default care trigger).
            let conversations: API.ConversationList = try await server.send(.GET, "/api/v1/conversations", key: key).decoded()
            XCTAssertEqual(Self.fields(of: conversations), Set(API.schemas["ConversationList"]!))
            let opened = try XCTUnwrap(conversations.conversations.first)
            XCTAssertEqual(opened.reviewId, created.id)
            let one: API.Conversation = try await server.send(.GET, "/api/v1/conversations/\(opened.id)", key: key).decoded()
            XCTAssertEqual(Self.fields(of: one), Set(API.schemas["Conversation"]!))
            let message = try XCTUnwrap(one.messages?.first)
            XCTAssertEqual(Self.fields(of: message), Set(API.schemas["Message"]!))

            let refused = try await server.send(.GET, "/api/v1/reviews?per_page=0", key: key)
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertEqual(try refused.apiError.code, "invalid_field")
            XCTAssertEqual(try refused.apiError.field, "per_page")
        }
    }
}

import Foundation
import XCTest

/// The API's responses as the tests read them: one Decodable type per OpenAPI schema, with the
/// schema's property names (`APISchemaTests` compares each with `openapi.json`, so a field added to
/// the API and not here, or the reverse, fails). Decoding is strict about types: a field the schema
/// says is a string that comes back as a number fails the test that reads it.
enum API {
    struct ErrorBody: Decodable, Equatable {
        struct Detail: Decodable, Equatable {
            let code: String
            let message: String
            let field: String?
        }
        let error: Detail
    }

    struct ProductBrief: Decodable, Equatable {
        let externalId: String
        let name: String
    }

    struct Person: Decodable, Equatable {
        let id: String
        let email: String
        let name: String?
    }

    struct Reply: Decodable, Equatable {
        let body: String
        let createdAt: String
        let updatedAt: String
    }

    struct Edit: Decodable, Equatable {
        let previousRating: Int
        let previousTitle: String?
        let previousBody: String?
        let editedAt: String
    }

    /// `#/components/schemas/Review`.
    struct Review: Decodable, Equatable {
        let id: String
        let product: ProductBrief?
        let customer: Person?
        let rating: Int
        let title: String?
        let body: String?
        let authorName: String
        let status: String
        let statusReason: String?
        let heldByRule: String?
        let publishAfter: String?
        let moderatedBy: String?
        let moderatedAt: String?
        let verified: Bool
        let orderId: String?
        let source: String
        let createdAt: String
        let updatedAt: String
        let reply: Reply?
        let history: [Edit]?
    }

    /// `#/components/schemas/ReviewList`.
    struct ReviewList: Decodable, Equatable {
        let reviews: [Review]
        let page: Int
        let perPage: Int
        let total: Int
    }

    /// `#/components/schemas/PublicReview`.
    struct PublicReview: Decodable, Equatable {
        let id: String
        let rating: Int
        let title: String?
        let body: String?
        let authorName: String
        let verified: Bool
        let createdAt: String
        let reply: Reply?
    }

    /// `#/components/schemas/Summary`.
    struct Summary: Decodable, Equatable {
        let count: Int
        let average: Double
        let distribution: [String: Int]
    }

    /// `#/components/schemas/PublicReviewList`.
    struct PublicReviewList: Decodable, Equatable {
        let summary: Summary
        let reviews: [PublicReview]
        let page: Int
        let perPage: Int
    }

    /// `#/components/schemas/Message`.
    struct Message: Decodable, Equatable {
        let id: String
        let author: String
        let body: String
        let createdAt: String
    }

    /// `#/components/schemas/Conversation`.
    struct Conversation: Decodable, Equatable {
        let id: String
        let reviewId: String?
        let customer: Person?
        let subject: String
        let status: String
        let priority: String
        let assignee: Person?
        let tags: [String]
        let slaDueAt: String?
        let slaTarget: String?
        let firstResponseAt: String?
        let resolvedAt: String?
        let resolutionNote: String?
        let createdAt: String
        let updatedAt: String
        let messages: [Message]?
        let pageUrl: String?
    }

    /// `#/components/schemas/ConversationList`.
    struct ConversationList: Decodable, Equatable {
        let conversations: [Conversation]
        let page: Int
        let perPage: Int
        let total: Int
    }

    /// The schemas above by their OpenAPI names, with the properties each type reads.
    static let schemas: [String: [String]] = [
        "Error": ["error"],
        "Reply": ["body", "created_at", "updated_at"],
        "Review": [
            "id", "product", "customer", "rating", "title", "body", "author_name", "status", "status_reason", "held_by_rule",
            "publish_after", "moderated_by", "moderated_at", "verified", "order_id", "source", "created_at", "updated_at", "reply", "history",
        ],
        "ReviewList": ["reviews", "page", "per_page", "total"],
        "PublicReview": ["id", "rating", "title", "body", "author_name", "verified", "created_at", "reply"],
        "Summary": ["count", "average", "distribution"],
        "PublicReviewList": ["summary", "reviews", "page", "per_page"],
        "Message": ["id", "author", "body", "created_at"],
        "Conversation": [
            "id", "review_id", "customer", "subject", "status", "priority", "assignee", "tags", "sla_due_at", "sla_target",
            "first_response_at", "resolved_at", "resolution_note", "created_at", "updated_at", "messages", "page_url",
        ],
        "ConversationList": ["conversations", "page", "per_page", "total"],
    ]

    /// A date as the API writes it (RFC 3339 with milliseconds), or nil.
    static func date(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()
}

extension TestServer.Reply {
    /// The body decoded as one of the API's schemas (fails the test, with the body, when it is not one).
    func decoded<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try API.decoder.decode(T.self, from: body)
        } catch {
            throw TestFailure("expected \(T.self), got \(String(decoding: body.prefix(600), as: UTF8.self)): \(error)")
        }
    }

    /// The JSON error body (`#/components/schemas/Error`).
    var apiError: API.ErrorBody.Detail {
        get throws { try decoded(API.ErrorBody.self).error }
    }
}

extension TestServer {
    /// The store's conversations, newest first (`GET /api/v1/conversations`), typed.
    func conversations(key: String) async throws -> [API.Conversation] {
        let reply = try await send(.GET, "/api/v1/conversations", key: key)
        guard reply.status == .ok else { throw TestFailure("conversation list: \(reply.status) \(reply.text)") }
        return try reply.decoded(API.ConversationList.self).conversations
    }

    /// One conversation with its messages (`GET /api/v1/conversations/{id}`), typed.
    func conversation(_ id: String, key: String) async throws -> API.Conversation {
        let reply = try await send(.GET, "/api/v1/conversations/\(id)", key: key)
        guard reply.status == .ok else { throw TestFailure("conversation \(id): \(reply.status) \(reply.text)") }
        return try reply.decoded(API.Conversation.self)
    }
}

/// `XCTUnwrap` for a value read with `await` (XCTUnwrap's argument is an autoclosure, which cannot await).
func unwrapped<T>(_ value: T?, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) throws -> T {
    try XCTUnwrap(value, message, file: file, line: line)
}

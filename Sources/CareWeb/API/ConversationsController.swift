import CareCore
import Vapor

/// Conversations as staff work them through the API.
enum ConversationsController {
    static func list(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        var filter = ConversationService.Filter()
        filter.status = try req.enumQuery("status", as: ConversationStatus.self)
        if let a = req.queryText("assignee"), !a.isEmpty { filter.assignee = a }
        let page = try ReviewQueries.Page(number: try req.intQuery("page"), size: try req.intQuery("per_page"))
        let result = try await ConversationService.list(storeID: ctx.storeID, filter: filter, page: page, on: req.db)
        return try JSONBody.response(
            PageView(
                key: "conversations", items: result.items.map { ConversationView(listed: $0, messages: nil) },
                page: page, total: result.total))
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "conversation")
        let (listed, messages) = try await ConversationService.find(id: id, storeID: ctx.storeID, on: req.db)
        let page = req.care.links.conversationPage(token: listed.token, issuedAt: req.care.storage.now())
        return try JSONBody.response(ConversationView(listed: listed, messages: messages, pageURL: page))
    }

    static func postMessage(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "conversation")
        let p = try JSONBody.decode(MessagePayload.self, from: req)
        let m = try await ConversationService.reply(
            conversationID: id, storeID: ctx.storeID, body: p.body, isInternal: p.isInternal ?? false,
            staffID: nil, storage: req.care.storage, on: req.db)
        return try JSONBody.response(MessageView(m), status: .created)
    }

    static func resolve(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "conversation")
        let p = try JSONBody.decode(ResolvePayload.self, from: req)
        try await ConversationService.resolve(
            conversationID: id, storeID: ctx.storeID, note: p.resolutionNote, links: req.care.links,
            storage: req.care.storage, on: req.db)
        return try await show(req)
    }

    static func assign(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let id = try req.uuidParameter("id", what: "conversation")
        let p = try JSONBody.decode(AssignPayload.self, from: req)
        try await ConversationService.assign(
            conversationID: id, storeID: ctx.storeID, to: p.assignee, links: req.care.links, storage: req.care.storage, on: req.db)
        return try await show(req)
    }
}

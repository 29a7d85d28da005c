import CareCore
import Vapor

/// Inbound email: one raw RFC 822 message per POST (what a Postfix pipe or a provider's raw-MIME
/// webhook delivers), authenticated by the store's inbound secret.
enum InboundEmailController {
    /// `GET /api/v1/settings/inbound-email` (API key): the secret to configure the mail pipe with.
    static func settings(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let secret = try await InboundMail.secret(for: ctx.storeID, storage: req.care.storage, on: req.db)
        return try JSONBody.response(["secret": secret, "address_domain": req.care.mail.domain])
    }

    /// `POST /api/v1/inbound-email`: 201 when the message joined a conversation; 202 with the reason
    /// when it was read but matched nothing (a mail pipe should not bounce or retry those).
    static func receive(_ req: Request) async throws -> Response {
        guard let bearer = req.headers.bearerAuthorization else {
            throw CareError(
                .unauthorized, code: "missing_inbound_secret", message: "send the store's inbound secret as 'Authorization: Bearer <secret>'")
        }
        guard let store = try await InboundMail.store(forSecret: bearer.token, on: req.db) else {
            throw CareError(.unauthorized, code: "invalid_inbound_secret", message: "this inbound secret is not valid")
        }
        if let type = req.headers.contentType, !(type.type == "message" && type.subType == "rfc822"),
            !(type.type == "text" && type.subType == "plain")
        {
            throw CareError(.malformed, code: "unsupported_media_type", message: "send one raw email as message/rfc822")
        }
        guard let buffer = req.body.data, buffer.readableBytes > 0 else {
            throw CareError(.malformed, code: "empty_body", message: "the request needs one raw email as its body")
        }
        // Reading MIME costs time in proportion to the mail: never on an event loop or the cooperative pool.
        let message = try await req.application.threadPool.runIfActive { InboundMail.parse(Data(buffer: buffer)) }
        let outcome = try await InboundMail.receive(
            message, store: store, mail: req.care.mail, links: req.care.links,
            storage: req.care.storage, on: req.db)
        switch outcome {
        case .added(let conversationID, let messageID, let opened):
            return try JSONBody.response(
                InboundResult(
                    result: opened ? "opened" : "added", conversationId: conversationID,
                    messageId: messageID, reason: nil), status: .created)
        case .skipped(let reason):
            req.logger.warning("inbound email for store \(store.slug) skipped: \(reason)")
            return try JSONBody.response(InboundResult(result: "skipped", conversationId: nil, messageId: nil, reason: reason), status: .accepted)
        }
    }
}

struct InboundResult: Encodable {
    let result: String
    let conversationId: UUID?
    let messageId: UUID?
    let reason: String?
    enum CodingKeys: String, CodingKey { case result, conversationId = "conversation_id", messageId = "message_id", reason }
}

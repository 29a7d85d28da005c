import CareCore
import Vapor

/// Inbound email: one raw RFC 822 message per POST (what `careloop mail-pipe`, a Postfix pipe or a
/// provider's raw-MIME webhook delivers), authenticated by the installation's inbound secret or a
/// store's.
///
/// Nothing of a body is read before its secret is checked; a mail then takes one of the inbound
/// slots (2 per store, 4 in all) while it is read, and is parsed on CareLoop's own mail threads,
/// so no sender can hold the memory or the threads other stores need.
enum InboundEmailController {
    /// The largest raw mail taken (Postfix's own default `message_size_limit` is about the same).
    static let maxBytes = 10 * 1_024 * 1_024

    /// `GET /api/v1/settings/inbound-email` (API key): the secret to configure the mail pipe with.
    static func settings(_ req: Request) async throws -> Response {
        let ctx = try req.storeContext
        let secret = try await InboundMail.secret(for: ctx.storeID, storage: req.care.storage, on: req.db)
        return try JSONBody.response(["secret": secret, "address_domain": req.care.mail.domain])
    }

    /// A slot key for the installation's pipe: it reads mail for every store, so it has its own budget.
    static let installationKey = UUID(uuidString: "00000000-0000-0000-0000-0000000000ff")!

    /// `POST /api/v1/inbound-email`: 201 when a customer's message joined a conversation; 202 with
    /// what was done otherwise (an automatic reply noted, a bounce recorded, or why it was skipped):
    /// a mail pipe should neither bounce nor retry those. 413 for a mail too large or with a header
    /// section no real mail has (the pipe bounces it); 429 when the store's slots are busy (the
    /// pipe tries again later); 408 when the body does not arrive within 8 s.
    static func receive(_ req: Request) async throws -> Response {
        guard let bearer = req.headers.bearerAuthorization else {
            throw CareError.missingInboundSecret(message: "send the store's inbound secret as 'Authorization: Bearer <secret>'")
        }
        let scope: InboundMail.Scope
        if let installation = req.care.config.inboundSecret, Secrets.constantTimeEqual(bearer.token, installation) {
            scope = .installation
        } else if let store = try await InboundMail.store(forSecret: bearer.token, on: req.db) {
            scope = .store(store)
        } else {
            throw CareError.invalidInboundSecret(message: "this inbound secret is not valid")
        }
        if let type = req.headers.contentType, !(type.type == "message" && type.subType == "rfc822"),
            !(type.type == "text" && type.subType == "plain")
        {
            throw CareError.unsupportedMediaType(message: "send one raw email as message/rfc822")
        }
        if let declared = req.headers.first(name: .contentLength).flatMap({ Int($0) }), declared > maxBytes {
            throw tooLarge()
        }
        let key = scope.storeID ?? installationKey
        guard let ticket = req.care.inboundMail.take(store: key, conversation: key) else {
            throw CareError.busy(message: "this store's mail is being read; try again shortly", retryAfter: 10)
        }
        // The slots themselves, not `req.care`: this may finish after the application has stopped.
        let slots = req.care.inboundMail
        defer { slots.release(ticket) }
        // Read within a few seconds in all: a body that trickles in would hold the slot for ever.
        let buffer: ByteBuffer
        do { buffer = try await BodyReader.collect(req, max: maxBytes, seconds: 8) } catch let e as Abort where e.status == .payloadTooLarge {
            throw tooLarge()
        }
        guard buffer.readableBytes > 0 else {
            throw CareError.emptyBody(message: "the request needs one raw email as its body")
        }
        let read = try await req.care.mailReaders.run { try InboundMail.read(Data(buffer: buffer)) }
        let outcome = try await InboundMail.receive(
            read, scope: scope, settings: req.care.mail, links: req.care.links, storage: req.care.storage, on: req.db)
        switch outcome {
        case .added(let conversationID, let messageID, let opened):
            return try JSONBody.response(
                InboundResult(result: opened ? "opened" : "added", conversationId: conversationID, messageId: messageID, reason: nil),
                status: .created)
        case .automatic(let conversationID, let messageID):
            return try JSONBody.response(
                InboundResult(
                    result: "automatic", conversationId: conversationID, messageId: messageID,
                    reason: "an automatic reply: kept on the conversation, which stays as it was"), status: .accepted)
        case .bounce(let permanent):
            return try JSONBody.response(
                InboundResult(
                    result: "bounce", conversationId: nil, messageId: nil,
                    reason: permanent ? "a permanent failure: the address is marked undeliverable" : "a temporary failure, noted"),
                status: .accepted)
        case .skipped(let reason):
            req.logger.info("inbound email skipped: \(reason)")
            return try JSONBody.response(InboundResult(result: "skipped", conversationId: nil, messageId: nil, reason: reason), status: .accepted)
        }
    }

    static func tooLarge() -> CareError {
        CareError.mailTooLarge(message: "a raw email may be at most \(maxBytes / 1_048_576) MiB")
    }
}

struct InboundResult: Encodable {
    let result: String
    let conversationId: UUID?
    let messageId: UUID?
    let reason: String?
    enum CodingKeys: String, CodingKey { case result, conversationId = "conversation_id", messageId = "message_id", reason }
}

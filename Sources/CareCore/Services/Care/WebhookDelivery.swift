import AsyncHTTPClient
import FluentKit
import Foundation
import NIOCore
import NIOHTTP1

/// Posts one queued webhook event to its endpoint, signed per Standard Webhooks.
///
/// The `webhook-id` is the outbox job's id, so a retry (or a resend after a crash) carries the same
/// id and the receiver can drop the duplicate. The timestamp is the time of this attempt.
enum WebhookDelivery {
    static let timeout: TimeAmount = .seconds(10)

    static func post(jobID: UUID, endpointID: UUID, body: String, now: Date, on db: any Database) async throws {
        guard let endpoint = try await WebhookEndpoint.find(endpointID, on: db) else {
            throw OutboxDelivery.Failure.permanent("the webhook endpoint was deleted")
        }
        guard endpoint.enabled else { throw OutboxDelivery.Failure.permanent("the webhook endpoint is disabled") }
        let id = "msg_" + jobID.uuidString.lowercased()
        let timestamp = Int(now.timeIntervalSince1970)
        let bytes = Data(body.utf8)
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "CareLoop-Webhooks/1")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: WebhookSignature.sign(id: id, timestamp: timestamp, body: bytes, secret: endpoint.secret))
        request.body = .bytes(ByteBuffer(data: bytes))
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw OutboxDelivery.Failure.transient("cannot post to \(endpoint.url): \(error)")
        }
        // Read (a little of) the answer so the connection can be reused, and to show it in the log.
        let answer = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
        let code = response.status.code
        if (200..<300).contains(code) { return }
        let said = "HTTP \(code) from \(endpoint.url)" + (answer.isEmpty ? "" : ": \(answer.prefix(300))")
        // 410 Gone is the receiver's way of saying "stop"; anything else may pass.
        throw code == 410 ? OutboxDelivery.Failure.permanent(said) : OutboxDelivery.Failure.transient(said)
    }
}

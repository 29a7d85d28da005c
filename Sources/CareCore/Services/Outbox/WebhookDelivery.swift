import AsyncHTTPClient
import FluentKit
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix

/// Posts one queued webhook event to its endpoint, signed per Standard Webhooks.
///
/// The `webhook-id` is the outbox job's id, so a retry (or a resend after a crash) carries the same
/// id and the receiver can drop the duplicate. The timestamp is the time of this attempt.
///
/// A store owner types the URL, so the post must not become a way into the server's own network:
/// the name is resolved here, every address is checked (no loopback, private, link-local,
/// unique-local, multicast or unspecified address, in any spelling), and the connection goes to
/// exactly the address that was checked, at every attempt. Redirects are not followed, the whole
/// exchange has one deadline, and nothing of the answer is kept but its status.
enum WebhookDelivery {
    /// Connect, send, and the answer's head: all within this.
    static let deadline: TimeAmount = .seconds(10)

    static func post(jobID: UUID, endpointID: UUID, body: String, now: Date, allowPrivate: Bool, on db: any Database) async throws {
        guard let endpoint = try await WebhookEndpoint.find(endpointID, on: db) else {
            throw OutboxDelivery.Failure.permanent("the webhook endpoint was deleted")
        }
        guard endpoint.enabled else { throw OutboxDelivery.Failure.permanent("the webhook endpoint is disabled") }
        guard let url = URL(string: endpoint.url), let host = url.host, !host.isEmpty,
            ["http", "https"].contains(url.scheme?.lowercased() ?? "")
        else {
            throw OutboxDelivery.Failure.permanent("the webhook URL is not an http or https URL")
        }
        let target = try await checkedAddress(host: host, allowPrivate: allowPrivate)
        let id = "msg_" + jobID.uuidString.lowercased()
        let timestamp = Int(now.timeIntervalSince1970)
        let bytes = Data(body.utf8)
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "CareLoop-Webhooks/1")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature", value: WebhookSignature.sign(id: id, timestamp: timestamp, body: bytes, secret: endpoint.secret))
        request.body = .bytes(ByteBuffer(data: bytes))

        var config = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(5)))
        config.dnsOverride = [host: target.text]
        config.connectionPool = .init(idleTimeout: .seconds(1))
        // One client per delivery: its connection goes only to the checked address, and shutting it
        // down ends the exchange whatever the receiver is doing.
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: config)
        let code: UInt
        do {
            let response = try await client.execute(request, deadline: .now() + deadline)
            code = response.status.code
        } catch {
            try? await client.shutdown()
            throw OutboxDelivery.Failure.transient("could not deliver to \(endpoint.url): \(reason(error))")
        }
        try? await client.shutdown()
        if (200..<300).contains(code) { return }
        let said = "HTTP \(code) from \(endpoint.url)"
        // 410 Gone is the receiver's way of saying "stop"; anything else may pass.
        throw code == 410 ? OutboxDelivery.Failure.permanent(said) : OutboxDelivery.Failure.transient(said)
    }

    /// The address to connect to: the first of the host's addresses, after checking all of them.
    static func checkedAddress(host: String, allowPrivate: Bool) async throws -> HostResolver.Address {
        if !allowPrivate, let why = OutboundAddress.hostRefusal(host) {
            throw OutboxDelivery.Failure.permanent("refused: \(host) is \(why)")
        }
        let addresses = try await HostResolver.resolve(host)
        guard let first = addresses.first else { throw OutboxDelivery.Failure.transient("\(host) has no address") }
        if !allowPrivate {
            // One private address among them is enough to refuse: the name points into a private network.
            for a in addresses {
                if let why = OutboundAddress.refusal(a.bytes) { throw OutboxDelivery.Failure.permanent("refused: \(host) resolves to \(why)") }
            }
        }
        return first
    }

    /// A short reason, the same for every kind of network failure: no answers or connection details
    /// that would let the log be used to map a network.
    static func reason(_ error: any Error) -> String {
        if let e = error as? HTTPClientError, e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout { return "no answer in time" }
        return "no answer"
    }
}

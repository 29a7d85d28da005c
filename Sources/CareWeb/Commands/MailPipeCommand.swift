import AsyncHTTPClient
import Foundation
import NIOCore

/// `careloop mail-pipe --url URL [--secret-file FILE]`: what a mail server runs for each mail to
/// CareLoop's addresses (Postfix's `pipe(8)`): the raw mail on standard input is posted to
/// `URL/api/v1/inbound-email`, and the answer becomes an exit status the mail server understands
/// (sysexits): 0 when CareLoop took it (or read it and had nothing to do), 75 (try again later)
/// when CareLoop is busy, unreachable or answers 5xx, 65 (bounce) when it refuses the mail itself.
/// Touches no database and needs no configuration but the URL and the secret, so it runs as the
/// mail server's unprivileged user.
public enum MailPipeCommand {
    static let tempfail: Int32 = 75
    static let dataError: Int32 = 65
    static let usage: Int32 = 64

    public static func run(_ arguments: [String]) async -> Int32 {
        var url: String?
        var secretFile: String?
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case "--url" where i + 1 < arguments.count: url = arguments[i + 1]
            case "--secret-file" where i + 1 < arguments.count: secretFile = arguments[i + 1]
            default:
                say("usage: careloop mail-pipe --url http://127.0.0.1:8080 [--secret-file FILE] (or CARELOOP_INBOUND_SECRET)")
                return usage
            }
            i += 2
        }
        guard let url, url.hasPrefix("http://") || url.hasPrefix("https://") else {
            say("mail-pipe: --url http(s)://HOST:PORT is required")
            return usage
        }
        var secret = ProcessInfo.processInfo.environment["CARELOOP_INBOUND_SECRET"]
        if let secretFile {
            guard let s = try? String(contentsOfFile: secretFile, encoding: .utf8) else {
                say("mail-pipe: cannot read \(secretFile)")
                return tempfail
            }
            secret = s.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let secret, !secret.isEmpty else {
            say("mail-pipe: no secret (--secret-file, or CARELOOP_INBOUND_SECRET)")
            return tempfail
        }
        // One byte past the route's limit is enough to know the mail is too large.
        let raw = FileHandle.standardInput.readData(ofLength: 10 * 1_024 * 1_024 + 1)
        guard raw.count <= 10 * 1_024 * 1_024 else {
            say("mail-pipe: the mail is larger than 10 MiB")
            return dataError
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let code = await post(raw, to: url, secret: secret, with: client)
        try? await client.shutdown()
        return code
    }

    /// Answers CareLoop gives about the mail itself (too large, unreadable): the mail server bounces
    /// it. Anything else (a wrong secret or URL, busy, down) keeps the mail queued for another try.
    static let refusals: Set<UInt> = [400, 413, 415, 422]

    static func post(_ raw: Data, to url: String, secret: String, with client: HTTPClient) async -> Int32 {
        var request = HTTPClientRequest(url: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/api/v1/inbound-email")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        request.headers.add(name: "Content-Type", value: "message/rfc822")
        request.body = .bytes(ByteBuffer(data: raw))
        // 45 s for the whole exchange, the answer's body included: a server that drips its answer
        // must not keep the mail server's pipe past its own limit.
        let deadline = NIODeadline.now() + .seconds(45)
        let prepared = request
        do {
            let (status, text) = try await withThrowingTaskGroup(of: (UInt, String).self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, deadline: deadline)
                    let body = try await response.body.collect(upTo: 64 * 1024)
                    return (response.status.code, String(buffer: body))
                }
                group.addTask {
                    try await Task.sleep(nanoseconds: 45_000_000_000)
                    throw HTTPClientError.deadlineExceeded
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            switch status {
            case 200..<300:
                return 0
            case let code where refusals.contains(code):
                say("mail-pipe: CareLoop refused the mail (\(code)): \(text.prefix(300))")
                return dataError
            default:
                say("mail-pipe: CareLoop answered \(status): \(text.prefix(300)); the mail stays queued")
                return tempfail
            }
        } catch {
            say("mail-pipe: cannot reach CareLoop at \(url): \(error)")
            return tempfail
        }
    }

    static func say(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}

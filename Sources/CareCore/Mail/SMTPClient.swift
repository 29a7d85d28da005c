import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how to send mail: `smtp://[user:password@]host[:port][?starttls=required|never]`.
public struct SMTPSettings: Sendable, Equatable {
    /// STARTTLS (RFC 3207): used whenever the server offers it (the default), insisted on, or never used.
    public enum StartTLS: String, Sendable, Equatable {
        case whenOffered = "offered", required, never
    }

    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    /// The name CareLoop gives itself in EHLO.
    public var heloName: String
    /// The longest CareLoop waits for any one reply of the server.
    public var timeout: TimeAmount
    public var startTLS: StartTLS
    /// A PEM file of extra certificate authorities to trust (a private relay's own CA); the system's otherwise.
    public var caFile: String?

    public init(
        host: String, port: Int = 25, username: String? = nil, password: String? = nil,
        heloName: String = "careloop.localhost", timeout: TimeAmount = .seconds(30), startTLS: StartTLS = .whenOffered,
        caFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.heloName = heloName
        self.timeout = timeout
        self.startTLS = startTLS
        self.caFile = caFile
    }

    public static func parse(_ url: String, caFile: String? = nil) throws(CareError) -> SMTPSettings {
        guard let u = URLComponents(string: url), u.scheme == "smtp", let host = u.host, !host.isEmpty else {
            throw .invalid("CARELOOP_SMTP_URL", "expected smtp://[user:password@]host[:port][?starttls=required|never]")
        }
        var startTLS = StartTLS.whenOffered
        if let raw = u.queryItems?.first(where: { $0.name == "starttls" })?.value {
            guard let mode = StartTLS(rawValue: raw) else {
                throw .invalid("CARELOOP_SMTP_URL", "starttls must be offered, required or never")
            }
            startTLS = mode
        }
        return SMTPSettings(
            host: host, port: u.port ?? 25, username: u.user?.removingPercentEncoding,
            password: u.password?.removingPercentEncoding, startTLS: startTLS, caFile: caFile)
    }
}

/// A failed delivery. Transient failures (4xx replies, a server that is down or silent) are worth
/// retrying; permanent ones (5xx) are not.
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    public let code: Int?
    public let message: String
    /// The server refused the recipient itself (at RCPT), not the sender, the session or the message.
    public var recipientRefused = false

    public init(code: Int?, message: String, recipientRefused: Bool = false) {
        self.code = code
        self.message = message
        self.recipientRefused = recipientRefused
    }

    public var isTransient: Bool { code.map { $0 < 500 } ?? true }
    public var description: String { code.map { "\($0) \(message)" } ?? message }
    /// The RFC 3463 status in the reply text (`550 5.1.1 …` → `5.1.1`), if the server gave one.
    public var enhancedStatus: String? {
        for word in message.split(separator: " ").prefix(8) {
            let parts = word.split(separator: ".")
            if parts.count == 3, ["2", "4", "5"].contains(parts[0]), parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }) {
                return String(word)
            }
        }
        return nil
    }
}

/// A small SMTP client (RFC 5321): one message per connection, EHLO, STARTTLS when offered (RFC 3207,
/// the certificate checked against the host name), AUTH PLAIN when given credentials, 8BITMIME when
/// offered, dot-stuffing, a timeout on every reply. Messages are expected
/// to be 7-bit clean already (`MailComposer` encodes bodies as quoted-printable).
public enum SMTPClient {
    public struct Result: Sendable {
        /// Recipients the server refused, with its reply; the message went to the others.
        public let refused: [(String, String)]
    }

    public static func send(
        from: String, to recipients: [String], message: String, settings: SMTPSettings,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Result {
        guard !recipients.isEmpty else { throw SMTPError(code: 501, message: "no recipients") }
        let channel: NIOAsyncChannel<String, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(settings.timeout)
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                        return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError(code: nil, message: "cannot connect to \(settings.host):\(settings.port): \(error)")
        }
        do {
            return try await converse(channel, from: from, to: recipients, message: message, settings: settings)
        } catch let e as SMTPError {
            throw e
        } catch {
            // A TLS handshake the server or CareLoop refused, a connection dropped mid-way: worth another try later.
            throw SMTPError(code: nil, message: "the connection to \(settings.host):\(settings.port) failed: \(error)")
        }
    }

    private static func converse(
        _ channel: NIOAsyncChannel<String, ByteBuffer>, from: String, to recipients: [String], message: String,
        settings: SMTPSettings
    ) async throws -> Result {
        try await channel.executeThenClose { inbound, outbound in
            var session = Session(lines: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel, timeout: settings.timeout)
            try await session.expect(220)
            var capabilities = try await session.command("EHLO \(settings.heloName)", expect: 250)
            let offersTLS = capabilities.contains { $0.uppercased().hasPrefix("STARTTLS") }
            if offersTLS && settings.startTLS != .never {
                _ = try await session.command("STARTTLS", expect: 220)
                try await startTLS(on: channel.channel, settings: settings)
                // RFC 3207 §4.2: forget what was said in the clear and ask again.
                capabilities = try await session.command("EHLO \(settings.heloName)", expect: 250)
            } else if settings.startTLS == .required {
                _ = try? await session.command("QUIT")
                throw SMTPError(code: nil, message: "\(settings.host) does not offer STARTTLS, and CARELOOP_SMTP_URL requires it")
            }
            if let user = settings.username, let password = settings.password {
                let token = Data("\u{0}\(user)\u{0}\(password)".utf8).base64EncodedString()
                _ = try await session.command("AUTH PLAIN \(token)", expect: 235)
            }
            let eightBit = capabilities.contains { $0.uppercased().hasPrefix("8BITMIME") }
            _ = try await session.command("MAIL FROM:<\(from)>" + (eightBit ? " BODY=8BITMIME" : ""), expect: 250)
            var refused: [(String, String)] = []
            for rcpt in recipients {
                let reply = try await session.command("RCPT TO:<\(rcpt)>")
                if reply.code != 250 && reply.code != 251 { refused.append((rcpt, "\(reply.code) \(reply.text)")) }
            }
            guard refused.count < recipients.count else {
                _ = try? await session.command("RSET")
                let first = refused[0].1
                throw SMTPError(code: Int(first.prefix(3)), message: "every recipient was refused: \(first)", recipientRefused: true)
            }
            _ = try await session.command("DATA", expect: 354)
            try await session.write(dotStuffed(message) + "\r\n.\r\n")
            try await session.expect(250)
            _ = try? await session.command("QUIT")
            return Result(refused: refused)
        }
    }

    /// Puts TLS under the line decoder: from here on the server's bytes are decrypted before they are
    /// split into lines, and what the session writes is encrypted.
    static func startTLS(on channel: any Channel, settings: SMTPSettings) async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile { tls.trustRoots = .file(caFile) }
        let isAddress = settings.host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
        do {
            let context = try NIOSSLContext(configuration: tls)
            let hostname = isAddress ? nil : settings.host
            // The handler belongs to the channel's event loop: make and add it there.
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: hostname), position: .first)
            }.get()
        } catch {
            throw SMTPError(code: nil, message: "cannot start TLS with \(settings.host): \(error)")
        }
    }

    /// Normalises line ends to CRLF and doubles a leading dot on any line (RFC 5321 §4.5.2).
    static func dotStuffed(_ message: String) -> String {
        // Work on lines split at LF (Swift treats CRLF as one Character, so split on bytes' meaning).
        var lines = message.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        while lines.last == "" { lines.removeLast() }
        return lines.map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
    }

    struct Reply {
        let code: Int
        let lines: [String]
        var text: String { lines.joined(separator: " ") }
    }

    struct Session {
        var lines: NIOAsyncChannelInboundStream<String>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let channel: any Channel
        let timeout: TimeAmount

        mutating func write(_ text: String) async throws {
            try await outbound.write(ByteBuffer(string: text))
        }

        @discardableResult
        mutating func command(_ line: String, expect code: Int? = nil) async throws -> [String] {
            try await write(line + "\r\n")
            let reply = try await read()
            if let code, reply.code != code {
                throw SMTPError(code: reply.code, message: "\(line.split(separator: " ").first ?? ""): \(reply.text)")
            }
            return reply.lines
        }

        mutating func command(_ line: String) async throws -> Reply {
            try await write(line + "\r\n")
            return try await read()
        }

        mutating func expect(_ code: Int) async throws {
            let reply = try await read()
            guard reply.code == code else { throw SMTPError(code: reply.code, message: reply.text) }
        }

        /// One reply, possibly multi-line (`250-…` lines until `250 …`).
        mutating func read() async throws -> Reply {
            var texts: [String] = []
            while true {
                guard let line = try await nextLine() else { throw SMTPError(code: nil, message: "the server closed the connection") }
                guard line.count >= 3, let code = Int(line.prefix(3)) else {
                    throw SMTPError(code: nil, message: "unreadable reply: \(line.prefix(100))")
                }
                texts.append(String(line.dropFirst(4)))
                if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return Reply(code: code, lines: texts) }
            }
        }

        /// The next line, or a timeout: a watchdog on the event loop closes the connection if the
        /// server stays silent, which ends the wait.
        private mutating func nextLine() async throws -> String? {
            let channel = self.channel
            let timedOut = NIOLockedValueBox(false)
            let watchdog = channel.eventLoop.scheduleTask(in: timeout) {
                timedOut.withLockedValue { $0 = true }
                channel.close(promise: nil)
            }
            defer { watchdog.cancel() }
            let line = try? await lines.next()
            if line == nil, timedOut.withLockedValue({ $0 }) {
                throw SMTPError(code: nil, message: "no reply within \(timeout.nanoseconds / 1_000_000_000) s")
            }
            return line ?? nil
        }
    }
}

/// Splits the server's bytes into CRLF-terminated lines.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let lf = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 64 * 1024 { throw SMTPError(code: nil, message: "reply line too long") }
            return .needMoreData
        }
        let length = lf - buffer.readerIndex + 1
        guard var bytes = buffer.readBytes(length: length) else { return .needMoreData }
        // Strip CR and LF as bytes: in Swift strings "\r\n" is a single Character.
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        context.fireChannelRead(Self.wrapInboundOut(String(decoding: bytes, as: UTF8.self)))
        return .continue
    }
}

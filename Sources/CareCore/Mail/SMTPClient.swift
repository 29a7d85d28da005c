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
    /// The longest one message may take, from MAIL to the server's last reply, however the server
    /// drips its replies.
    public var messageTimeout: TimeAmount = .seconds(40)
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

/// A small SMTP client (RFC 5321): EHLO, STARTTLS when offered (RFC 3207, the certificate checked
/// against the host name), AUTH PLAIN when given credentials, 8BITMIME when offered, PIPELINING
/// (RFC 2920) when offered, dot-stuffing, a timeout on every reply. Messages are expected to be
/// 7-bit clean already (`MailComposer` encodes bodies as quoted-printable). `send` is one message on
/// its own connection; `SMTPRelay` keeps sessions open and sends many messages on each.
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
        return try await SMTPSession.open(settings, group: group) { session in
            let result = try await session.transaction(from: from, to: recipients, message: message)
            await session.quit()
            return result
        }
    }

    /// Normalises line ends to CRLF and doubles a leading dot on any line (RFC 5321 §4.5.2), with
    /// the final "CRLF . CRLF": the bytes DATA sends, in one pass over the message.
    static func dataBytes(_ message: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.utf8.count + 64)
        var lineStart = true
        for b in message.utf8 {
            if b == 13 { continue } // CR: line ends are written as CRLF below, at each LF
            if lineStart && b == UInt8(ascii: ".") { out.append(b) }
            if b == 10 {
                out.append(13)
                lineStart = true
            } else {
                lineStart = false
            }
            out.append(b)
        }
        // Trailing empty lines go; the message ends with exactly one line break, then the dot.
        while out.count >= 2, out[out.count - 1] == 10, out[out.count - 2] == 13 { out.removeLast(2) }
        out.append(contentsOf: [13, 10, UInt8(ascii: "."), 13, 10])
        return out
    }
}

/// One SMTP session with a server, greeted and ready for mail transactions: opened by `open`, which
/// runs `body` with it and closes the connection afterwards, whatever happens.
struct SMTPSession {
    struct Reply {
        let code: Int
        let lines: [String]
        var text: String { lines.joined(separator: " ") }
    }

    private var lines: NIOAsyncChannelInboundStream<String>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private let settings: SMTPSettings
    private(set) var pipelining = false
    private var eightBit = false
    /// Whether the current transaction began sending its message (after DATA's 354): past that
    /// point a failure may have delivered it, so it is not sent again on another session.
    private(set) var wroteMessage = false
    /// The server answered out of step (RSET not accepted after a refusal): the session is not
    /// used again, so no later message is read against an earlier message's replies.
    private(set) var broken = false
    private var transactionDeadline: NIODeadline?

    static func open<T: Sendable>(
        _ settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ body: (inout SMTPSession) async throws -> T
    ) async throws -> T {
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
            return try await channel.executeThenClose { inbound, outbound in
                var session = SMTPSession(
                    lines: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel, settings: settings)
                try await session.greet()
                return try await body(&session)
            }
        } catch let e as SMTPError {
            throw e
        } catch {
            // A TLS handshake the server or CareLoop refused, a connection dropped mid-way: worth another try later.
            throw SMTPError(code: nil, message: "the connection to \(settings.host):\(settings.port) failed: \(error)")
        }
    }

    private init(
        lines: NIOAsyncChannelInboundStream<String>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel,
        settings: SMTPSettings
    ) {
        self.lines = lines
        self.outbound = outbound
        self.channel = channel
        self.settings = settings
    }

    /// The greeting, EHLO, STARTTLS and AUTH: the session is then ready for transactions.
    private mutating func greet() async throws {
        try await expect(220)
        var capabilities = try await command("EHLO \(settings.heloName)", expect: 250)
        let offersTLS = capabilities.contains { $0.uppercased().hasPrefix("STARTTLS") }
        if offersTLS && settings.startTLS != .never {
            _ = try await command("STARTTLS", expect: 220)
            try await SMTPSession.startTLS(on: channel, settings: settings)
            // RFC 3207 §4.2: forget what was said in the clear and ask again.
            capabilities = try await command("EHLO \(settings.heloName)", expect: 250)
        } else if settings.startTLS == .required {
            await quit()
            throw SMTPError(code: nil, message: "\(settings.host) does not offer STARTTLS, and CARELOOP_SMTP_URL requires it")
        }
        if let user = settings.username, let password = settings.password {
            let token = Data("\u{0}\(user)\u{0}\(password)".utf8).base64EncodedString()
            _ = try await command("AUTH PLAIN \(token)", expect: 235)
        }
        eightBit = capabilities.contains { $0.uppercased().hasPrefix("8BITMIME") }
        pipelining = capabilities.contains { $0.uppercased().hasPrefix("PIPELINING") }
    }

    /// One mail transaction: MAIL, RCPT for each recipient, DATA. With PIPELINING the three go in
    /// one write and their replies are read in order. A refused transaction is reset, so the session
    /// stays usable for the next one.
    mutating func transaction(from: String, to recipients: [String], message: String) async throws -> SMTPClient.Result {
        wroteMessage = false
        let deadline = NIODeadline.now() + settings.messageTimeout
        transactionDeadline = deadline
        // Past the deadline the connection closes, whatever the session is waiting for (a reply, or a
        // server that stopped reading what is written to it): the transaction ends unfinished.
        let channel = self.channel
        let guardTask = channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
        defer {
            guardTask.cancel()
            transactionDeadline = nil
        }
        let mail = "MAIL FROM:<\(from)>" + (eightBit ? " BODY=8BITMIME" : "")
        var mailReply: Reply
        var rcptReplies: [Reply] = []
        var dataReply: Reply?
        if pipelining {
            try await write(([mail] + recipients.map { "RCPT TO:<\($0)>" } + ["DATA"]).map { $0 + "\r\n" }.joined())
            mailReply = try await read()
            for _ in recipients { rcptReplies.append(try await read()) }
            dataReply = try await read()
        } else {
            mailReply = try await command(mail)
            if mailReply.code == 250 {
                for rcpt in recipients { rcptReplies.append(try await command("RCPT TO:<\(rcpt)>")) }
            }
        }
        guard mailReply.code == 250 else {
            if dataReply?.code == 354 { _ = try? await command(".") }
            await reset()
            throw SMTPError(code: mailReply.code, message: "MAIL: \(mailReply.text)")
        }
        var refused: [(String, String)] = []
        for (rcpt, reply) in zip(recipients, rcptReplies) where reply.code != 250 && reply.code != 251 {
            refused.append((rcpt, "\(reply.code) \(reply.text)"))
        }
        guard refused.count < recipients.count else {
            // Pipelined, a server may still have said 354 to DATA: end the empty message, then reset.
            if dataReply?.code == 354 { _ = try? await command(".") }
            await reset()
            let first = refused[0].1
            throw SMTPError(code: Int(first.prefix(3)), message: "every recipient was refused: \(first)", recipientRefused: true)
        }
        if dataReply == nil { dataReply = try await command("DATA") }
        guard let dataReply, dataReply.code == 354 else {
            await reset()
            throw SMTPError(code: dataReply?.code, message: "DATA: \(dataReply?.text ?? "")")
        }
        wroteMessage = true
        try await outbound.write(ByteBuffer(bytes: SMTPClient.dataBytes(message)))
        let done = try await read()
        guard done.code == 250 else {
            await reset()
            throw SMTPError(code: done.code, message: done.text)
        }
        return SMTPClient.Result(refused: refused)
    }

    /// Ends a refused transaction; a server that does not take RSET is out of step, and the session
    /// is marked broken.
    private mutating func reset() async {
        guard let reply = try? await command("RSET"), reply.code == 250 else {
            broken = true
            return
        }
    }

    /// Ends the session politely; a server that is gone already is fine.
    mutating func quit() async { _ = try? await command("QUIT") }

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

    private mutating func write(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    @discardableResult
    private mutating func command(_ line: String, expect code: Int) async throws -> [String] {
        let reply = try await command(line)
        guard reply.code == code else { throw SMTPError(code: reply.code, message: "\(line.split(separator: " ").first ?? ""): \(reply.text)") }
        return reply.lines
    }

    private mutating func command(_ line: String) async throws -> Reply {
        try await write(line + "\r\n")
        return try await read()
    }

    private mutating func expect(_ code: Int) async throws {
        let reply = try await read()
        guard reply.code == code else { throw SMTPError(code: reply.code, message: reply.text) }
    }

    /// One reply, possibly multi-line (`250-…` lines until `250 …`).
    private mutating func read() async throws -> Reply {
        var texts: [String] = []
        while true {
            guard let line = try await nextLine() else { throw SMTPError(code: nil, message: "the server closed the connection") }
            guard line.count >= 3, let code = Int(line.prefix(3)) else {
                throw SMTPError(code: nil, message: "unreadable reply: \(line.prefix(100))")
            }
            texts.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return Reply(code: code, lines: texts) }
            // An EHLO reply has a few dozen lines; a reply of a hundred is no SMTP server's.
            if texts.count > 100 { throw SMTPError(code: nil, message: "a reply of more than 100 lines") }
        }
    }

    /// The next line, or a timeout: a watchdog on the event loop closes the connection if the
    /// server stays silent, which ends the wait.
    private mutating func nextLine() async throws -> String? {
        let channel = self.channel
        let timeout = settings.timeout
        let timedOut = NIOLockedValueBox(false)
        // Each reply within the timeout, and the whole transaction within its deadline.
        var until = NIODeadline.now() + timeout
        if let transactionDeadline, transactionDeadline < until { until = transactionDeadline }
        let watchdog = channel.eventLoop.scheduleTask(deadline: until) {
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        let line = try? await lines.next()
        if line == nil, timedOut.withLockedValue({ $0 }) {
            throw SMTPError(
                code: nil,
                message:
                    "no reply in time (each within \(timeout.nanoseconds / 1_000_000_000) s, a message within \(settings.messageTimeout.nanoseconds / 1_000_000_000) s)"
            )
        }
        return line ?? nil
    }
}

/// Splits the server's bytes into CRLF-terminated lines.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let lf = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; 8 KiB is generous.
            if buffer.readableBytes > 8 * 1024 { throw SMTPError(code: nil, message: "reply line too long") }
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

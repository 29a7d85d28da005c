import Foundation

/// An email as CareLoop sends it.
public struct OutgoingMail: Sendable {
    public var fromName: String?
    public var fromAddress: String
    public var to: String
    public var toName: String?
    public var replyTo: String?
    public var subject: String
    public var text: String
    public var html: String?
    /// Without angle brackets: `id@domain`.
    public var messageID: String
    public var inReplyTo: String?
    public var references: [String]
    public var date: Date
    /// Further headers (`List-Unsubscribe`…): only CareLoop's own values, never text from outside,
    /// go here; they are folded and checked like every other header.
    public var extraHeaders: [(name: String, value: String)] = []
    /// Sent without a person (a trigger's message, a request, a notification): marked
    /// `Auto-Submitted: auto-generated` (RFC 3834), so auto-responders leave it unanswered.
    public var automatic = false

    public init(
        fromName: String?, fromAddress: String, to: String, toName: String?, replyTo: String?, subject: String,
        text: String, html: String?, messageID: String, inReplyTo: String?, references: [String], date: Date
    ) {
        self.fromName = fromName
        self.fromAddress = fromAddress
        self.to = to
        self.toName = toName
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.date = date
    }
}

/// Writes RFC 5322 / MIME messages: 7-bit clean (quoted-printable bodies, RFC 2047 headers),
/// multipart/alternative when there is HTML, CRLF line ends, and a DKIM signature when a signer is
/// given.
///
/// Every header goes through `headerLine`, the one place a header is written: nothing in a value
/// can end its line (CR, LF and NUL become spaces, whatever their source), and a Message-ID that is
/// not plainly one (see `MIME.isSafeMessageID`) is left out of In-Reply-To and References.
public enum MailComposer {
    public static func compose(_ m: OutgoingMail, signer: DKIMSigner? = nil, boundary: String = "careloop-" + UUID().uuidString) -> String {
        var h: [String] = []
        h.append(headerLine("From", address(m.fromAddress, name: m.fromName)))
        h.append(headerLine("To", address(m.to, name: m.toName)))
        if let r = m.replyTo { h.append(headerLine("Reply-To", "<\(r)>")) }
        h.append(headerLine("Subject", encodedWord(m.subject)))
        h.append(headerLine("Date", rfc5322Date(m.date)))
        h.append(headerLine("Message-ID", "<\(m.messageID)>"))
        if let r = m.inReplyTo, MIME.isSafeMessageID(r) { h.append(headerLine("In-Reply-To", "<\(r)>")) }
        let references = m.references.filter(MIME.isSafeMessageID)
        if !references.isEmpty { h.append(headerLine("References", references.map { "<\($0)>" }.joined(separator: " "))) }
        for (name, value) in m.extraHeaders { h.append(headerLine(name, value)) }
        if m.automatic { h.append(headerLine("Auto-Submitted", "auto-generated")) }
        h.append(headerLine("MIME-Version", "1.0"))
        var body: String
        if let html = m.html {
            h.append(headerLine("Content-Type", "multipart/alternative; boundary=\"\(boundary)\""))
            body = "--\(boundary)\r\n" + part("text/plain", m.text)
            body += "--\(boundary)\r\n" + part("text/html", html)
            body += "--\(boundary)--\r\n"
        } else {
            h.append(headerLine("Content-Type", "text/plain; charset=utf-8"))
            h.append(headerLine("Content-Transfer-Encoding", "quoted-printable"))
            body = quotedPrintable(m.text) + "\r\n"
        }
        if let signer, let signature = try? signer.signatureHeader(headers: h, body: body, at: m.date) {
            h.insert(signature, at: 0)
        }
        return h.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    /// One header line, folded at spaces to stay near 78 characters. A value's CR, LF and NUL (and
    /// any other control character but tab) become spaces: no value, wherever it came from, can
    /// end the line and start a header of its own.
    static func headerLine(_ name: String, _ value: String) -> String {
        precondition(!name.isEmpty && name.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }, "a header name is a token")
        var clean = String.UnicodeScalarView()
        for u in value.unicodeScalars { clean.append(u.value < 32 && u != "\t" || u.value == 127 ? " " : u) }
        var lines: [String] = []
        var current = name + ":"
        for word in String(clean).split(separator: " ", omittingEmptySubsequences: true) {
            if current.utf8.count + 1 + word.utf8.count > 78 && current.contains(" ") {
                lines.append(current)
                current = " " + word
            } else {
                current += " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    static func part(_ type: String, _ body: String) -> String {
        "Content-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + quotedPrintable(body) + "\r\n"
    }

    static func address(_ email: String, name raw: String?) -> String {
        // Line breaks first: a name must never start a header of its own, nor skip the quoting below.
        guard let raw, case let name = raw.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " "), !name.isEmpty
        else { return "<\(email)>" }
        let safe = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0 == " " || $0.properties.numericType != nil) }
        if safe { return "\(name) <\(email)>" }
        if name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) {
            return "\"\(name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\" <\(email)>"
        }
        return "\(encodedWord(name)) <\(email)>"
    }

    /// RFC 2047 `=?UTF-8?B?…?=` for anything not plain printable ASCII; also strips line breaks,
    /// so a subject can never inject a header. Words are joined by spaces (`headerLine` folds there).
    static func encodedWord(_ text: String) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 && $0.value < 127 }) && !clean.contains("=?") { return clean }
        // Encode in chunks so each encoded word stays under 75 characters.
        var words: [String] = []
        var chunk = ""
        for ch in clean {
            if (chunk + String(ch)).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(ch)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: " ")
    }

    /// Quoted-printable (RFC 2045 §6.7) with soft line breaks at 76 characters: one pass over the
    /// bytes (every mail goes through here).
    public static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        var lineLength = 0
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            // CRLF or LF: a hard line break.
            if b == 13, i + 1 < bytes.count, bytes[i + 1] == 10 {
                i += 1
                continue
            }
            if b == 10 {
                out.append(13)
                out.append(10)
                lineLength = 0
                i += 1
                continue
            }
            // A space or tab at a line's end must be encoded (it would be taken for padding).
            let atLineEnd = i + 1 == bytes.count || bytes[i + 1] == 10 || (bytes[i + 1] == 13 && i + 2 < bytes.count && bytes[i + 2] == 10)
            let plain = (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 32 || b == 9) && !atLineEnd)
            let width = plain ? 1 : 3
            if lineLength + width > 75 {
                out.append(contentsOf: [UInt8(ascii: "="), 13, 10])
                lineLength = 0
            }
            if plain {
                out.append(b)
            } else {
                out.append(contentsOf: [UInt8(ascii: "="), hex[Int(b >> 4)], hex[Int(b & 0x0F)]])
            }
            lineLength += width
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// "Mon, 07 Dec 2026 01:20:53 +0000", worked out by hand: no formatter (and its locale) per mail.
    static func rfc5322Date(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var t = tm()
        gmtime_r(&seconds, &t)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
            + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) +0000"
    }
}

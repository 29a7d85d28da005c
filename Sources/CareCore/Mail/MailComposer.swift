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
    /// Further headers (`List-Unsubscribe`…), written as given (a value may hold its own folds,
    /// CRLF and a space): only CareLoop's own values, never text from outside, go here.
    public var extraHeaders: [(name: String, value: String)] = []

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
/// multipart/alternative when there is HTML, CRLF line ends.
public enum MailComposer {
    public static func compose(_ m: OutgoingMail, boundary: String = "careloop-" + UUID().uuidString) -> String {
        var h: [String] = []
        h.append("From: " + address(m.fromAddress, name: m.fromName))
        h.append("To: " + address(m.to, name: m.toName))
        if let r = m.replyTo { h.append("Reply-To: <\(r)>") }
        h.append("Subject: " + encodedWord(m.subject))
        h.append("Date: " + rfc5322Date(m.date))
        h.append("Message-ID: <\(m.messageID)>")
        if let r = m.inReplyTo { h.append("In-Reply-To: <\(r)>") }
        if !m.references.isEmpty { h.append(fold("References: " + m.references.map { "<\($0)>" }.joined(separator: " "))) }
        for (name, value) in m.extraHeaders { h.append("\(name): \(value)") }
        h.append("MIME-Version: 1.0")
        h.append("X-Mailer: CareLoop")
        var out = h.joined(separator: "\r\n") + "\r\n"
        if let html = m.html {
            out += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
            out += "--\(boundary)\r\n" + part("text/plain", m.text)
            out += "--\(boundary)\r\n" + part("text/html", html)
            out += "--\(boundary)--\r\n"
        } else {
            out += part("text/plain", m.text)
        }
        return out
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
    /// so a subject can never inject a header.
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
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func fold(_ header: String) -> String {
        var lines: [String] = []
        var current = ""
        for word in header.split(separator: " ") {
            if !current.isEmpty && current.count + word.count + 1 > 76 {
                lines.append(current)
                current = " " + word
            } else {
                current += (current.isEmpty ? "" : " ") + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    /// Quoted-printable (RFC 2045 §6.7) with soft line breaks at 76 characters.
    public static func quotedPrintable(_ text: String) -> String {
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n")
        var out: [String] = []
        for line in normalised.split(separator: "\n", omittingEmptySubsequences: false) {
            var encoded = ""
            var lineLength = 0
            let bytes = Array(line.utf8)
            for (i, b) in bytes.enumerated() {
                let last = i == bytes.count - 1
                var piece: String
                if (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 32 || b == 9) && !last) {
                    piece = String(UnicodeScalar(b))
                } else {
                    piece = String(format: "=%02X", b)
                }
                if lineLength + piece.count > 75 {
                    encoded += "=\r\n"
                    lineLength = 0
                }
                encoded += piece
                lineLength += piece.count
            }
            out.append(encoded)
        }
        return out.joined(separator: "\r\n")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return f.string(from: date)
    }
}

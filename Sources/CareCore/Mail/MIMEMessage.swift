import Foundation

/// An inbound email, read from raw RFC 822 / MIME bytes: the headers CareLoop needs and the best
/// plain-text body. Never throws on odd input: what cannot be read is left out, and a message with
/// no readable text has an empty `text`.
///
/// Reading is linear in the mail's size and bounded whatever the sender writes: the header section
/// is read up to `maxHeaderBytes` and `maxHeaderLines` (past either, `headersTooLarge` is set and the
/// mail is refused by its caller), and only the first `maxTextBytes` of the chosen text part become
/// `text` (`textCut` says when more was there).
public struct MIMEMessage: Sendable {
    /// No real mail's header section comes near these: a long Received chain and several
    /// signatures fit in a few dozen kilobytes.
    public static let maxHeaderBytes = 256 * 1024
    public static let maxHeaderLines = 2_000
    /// The most of a text part that is decoded: far more than a conversation keeps (20 000
    /// characters) and enough to find where the quoted history starts.
    public static let maxTextBytes = 256 * 1024

    public var headers: [(name: String, value: String)]
    /// The body as plain text: text/plain preferred, else HTML stripped to text.
    public var text: String
    /// The header section was larger than `maxHeaderBytes` or had more than `maxHeaderLines` lines.
    public var headersTooLarge = false
    /// The text part was longer than `maxTextBytes`; `text` holds its beginning.
    public var textCut = false
    /// A delivery status notification's report (RFC 3464), when the mail is one.
    public var deliveryReport: DeliveryReport?

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public func headers(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    /// At most the first 2 000 characters of the header are read: no real subject is longer, and
    /// decoding is not linear in what a sender can put there.
    public var subject: String? { header("Subject").map { MIME.decodeWords(String($0.prefix(2_000))) } }

    /// The sender's address, lower-cased.
    public var fromAddress: String? { header("From").flatMap { MIME.addresses(in: $0).first?.lowercased() } }

    /// Every recipient address (To, Cc, Delivered-To, X-Original-To), as written (reply tokens are case-sensitive).
    public var recipientAddresses: [String] {
        ["To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"].flatMap { headers($0) }.flatMap(MIME.addresses)
    }

    /// The mail's own Message-ID, when it is one CareLoop can keep: see `MIME.isSafeMessageID`.
    public var messageID: String? {
        header("Message-ID").flatMap { MIME.messageIDs($0).first }.flatMap { MIME.isSafeMessageID($0) ? $0 : nil }
    }

    /// Message-IDs this message answers (In-Reply-To, then References newest first), without brackets.
    static let maxReferences = 20

    public var referencedIDs: [String] {
        let inReplyTo = header("In-Reply-To").map(MIME.messageIDs) ?? []
        let references = header("References").map(MIME.messageIDs) ?? []
        var seen = Set<String>()
        // The newest 20 are enough to find the thread; a list from outside is never taken whole.
        return Array(
            (inReplyTo.prefix(5) + references.suffix(20).reversed()).filter { MIME.isSafeMessageID($0) && seen.insert($0).inserted }
                .prefix(Self.maxReferences))
    }

    /// The token of a `reply+TOKEN@domain` recipient, if there is one.
    public func replyToken(domain: String? = nil) -> String? { plusToken("reply", domain: domain) }

    /// The token of a `bounce+TOKEN@domain` recipient (the return path of CareLoop's own mail).
    public func bounceToken(domain: String? = nil) -> String? { plusToken("bounce", domain: domain) }

    private func plusToken(_ name: String, domain: String?) -> String? {
        for address in recipientAddresses {
            let parts = address.split(separator: "@")
            guard parts.count == 2, parts[0].lowercased().hasPrefix(name + "+") else { continue }
            if let domain, parts[1].lowercased() != domain.lowercased() { continue }
            let token = String(parts[0].dropFirst(name.count + 1))
            if !token.isEmpty, token.count <= 200 { return token }
        }
        return nil
    }

    public init(raw: Data) {
        let bytes = [UInt8](raw)
        let split = MIME.split(bytes[...])
        self.headers = split.headers
        self.headersTooLarge = split.tooLarge
        guard !split.tooLarge else {
            self.text = ""
            return
        }
        var cut = false
        self.text = MIME.bestText(headers: split.headers, body: split.body, cut: &cut)
        self.textCut = cut
        self.deliveryReport = DeliveryReport.read(headers: split.headers, body: split.body)
    }
}

/// The pieces of MIME reading.
enum MIME {
    typealias Bytes = ArraySlice<UInt8>

    /// Splits at the first empty line and unfolds header continuation lines. Reads at most
    /// `MIMEMessage.maxHeaderBytes` of header and `maxHeaderLines` lines; past either, `tooLarge`.
    static func split(_ bytes: Bytes) -> (headers: [(name: String, value: String)], body: Bytes, tooLarge: Bool) {
        let start = bytes.startIndex
        var i = start
        var headerEnd = bytes.endIndex
        var bodyStart = bytes.endIndex
        var lines = 0
        // An empty line: CRLF CRLF or LF LF (or the message starts with one).
        if bytes.first == 10 {
            headerEnd = start
            bodyStart = start + 1
        } else if bytes.first == 13, bytes.count > 1, bytes[start + 1] == 10 {
            headerEnd = start
            bodyStart = start + 2
        } else {
            while i < bytes.endIndex {
                if i - start >= MIMEMessage.maxHeaderBytes || lines >= MIMEMessage.maxHeaderLines { return ([], bytes[bytes.endIndex...], true) }
                if bytes[i] == 10 {
                    lines += 1
                    if i + 1 < bytes.endIndex && bytes[i + 1] == 10 {
                        headerEnd = i
                        bodyStart = i + 2
                        break
                    }
                    if i + 2 < bytes.endIndex && bytes[i + 1] == 13 && bytes[i + 2] == 10 {
                        headerEnd = i
                        bodyStart = i + 3
                        break
                    }
                }
                i += 1
            }
        }
        var headers: [(String, String)] = []
        for rawLine in bytes[start..<headerEnd].split(separator: 10, omittingEmptySubsequences: false) {
            var line = rawLine
            if line.last == 13 { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            if let first = line.first, first == 32 || first == 9, !headers.isEmpty {
                headers[headers.count - 1].1 += " " + text.trimmingCharacters(in: .whitespaces)
            } else if let colon = text.firstIndex(of: ":") {
                let name = text[..<colon].trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty, !name.contains(" ") else { continue }
                headers.append((name, text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        let body = bodyStart < bytes.endIndex ? bytes[bodyStart...] : bytes[bytes.endIndex...]
        return (headers.map { (name: $0.0, value: $0.1) }, body, false)
    }

    /// `text/plain; charset="utf-8"` → ("text/plain", ["charset": "utf-8"]).
    static func contentType(_ value: String?) -> (type: String, params: [String: String]) {
        guard let value else { return ("text/plain", [:]) }
        let parts = value.prefix(2_000).split(separator: ";").prefix(20).map { $0.trimmingCharacters(in: .whitespaces) }
        var params: [String: String] = [:]
        for p in parts.dropFirst() {
            guard let eq = p.firstIndex(of: "=") else { continue }
            let key = p[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var v = p[p.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            params[key] = v
        }
        return ((parts.first ?? "text/plain").lowercased(), params)
    }

    static func headerValue(_ headers: [(name: String, value: String)], _ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The most parts read at one level of a multipart body, the deepest nesting followed, the most
    /// text parts tried at one level, and the most text bytes decoded in a whole mail (a mail of a
    /// hundred text parts that each read as empty must not be decoded a hundred times over).
    static let maxParts = 50
    static let maxDepth = 5
    static let maxTextCandidates = 8
    static let decodeBudget = MIMEMessage.maxTextBytes * 4

    static func bestText(headers: [(name: String, value: String)], body: Bytes, cut: inout Bool) -> String {
        var budget = decodeBudget
        return bestText(headers: headers, body: body, cut: &cut, budget: &budget, depth: 0)
    }

    static func bestText(
        headers: [(name: String, value: String)], body: Bytes, cut: inout Bool, budget: inout Int, depth: Int
    ) -> String {
        let (type, params) = contentType(headerValue(headers, "Content-Type"))
        if type.hasPrefix("multipart/"), let boundary = params["boundary"], depth < maxDepth {
            let parts = splitParts(body, boundary: boundary).map { split($0) }.filter { !$0.tooLarge }
            let candidates = parts.map { (contentType(headerValue($0.headers, "Content-Type")).type, $0) }
            // alternative: prefer text/plain; mixed/related: the first readable text part
            if let plain = candidates.first(where: { $0.0 == "text/plain" && !isAttachment($0.1.headers) }) {
                return bestText(headers: plain.1.headers, body: plain.1.body, cut: &cut, budget: &budget, depth: depth + 1)
            }
            let readable = candidates.filter { ($0.0.hasPrefix("multipart/") || $0.0 == "text/html") && !isAttachment($0.1.headers) }
            for (_, part) in readable.prefix(maxTextCandidates) {
                guard budget > 0 else { break }
                let text = bestText(headers: part.headers, body: part.body, cut: &cut, budget: &budget, depth: depth + 1)
                if !text.isEmpty { return text }
            }
            // Parts left unread: the mail says more than was read of it.
            if readable.count > maxTextCandidates || budget <= 0 { cut = true }
            return ""
        }
        guard type == "text/plain" || type == "text/html" || headerValue(headers, "Content-Type") == nil else { return "" }
        // Encoded text is at most four times its decoded size (quoted-printable's "=XX" is three):
        // a prefix that long holds the `maxTextBytes` kept.
        let encodedLimit = min(MIMEMessage.maxTextBytes * 4, max(0, budget))
        guard encodedLimit > 0 else {
            cut = true
            return ""
        }
        budget -= min(body.count, encodedLimit)
        if body.count > encodedLimit { cut = true }
        var decoded = decodeTransfer(Data(body.prefix(encodedLimit)), encoding: headerValue(headers, "Content-Transfer-Encoding"))
        if decoded.count > MIMEMessage.maxTextBytes {
            cut = true
            decoded = decoded.prefix(MIMEMessage.maxTextBytes)
        }
        let text = decodeCharset(decoded, charset: params["charset"])
        return (type == "text/html" ? htmlToText(text) : text).replacingOccurrences(of: "\r\n", with: "\n")
    }

    static func isAttachment(_ headers: [(name: String, value: String)]) -> Bool {
        headerValue(headers, "Content-Disposition")?.lowercased().hasPrefix("attachment") == true
    }

    /// The parts of a multipart body, as byte ranges between its `--boundary` lines (at most
    /// `maxParts`). Each line start is compared with the boundary once: linear in the body.
    static func splitParts(_ body: Bytes, boundary: String) -> [Bytes] {
        let delimiter = Array(("--" + boundary.prefix(200)).utf8)
        var parts: [Bytes] = []
        var partStart: Int?
        var i = body.startIndex
        var lineStart = true
        while i < body.endIndex, parts.count < maxParts {
            if lineStart, body[i] == 45, body.endIndex - i >= delimiter.count, body[i..<(i + delimiter.count)].elementsEqual(delimiter) {
                // The line before the delimiter's own line break belongs to the delimiter (RFC 2046 §5.1.1).
                if let s = partStart {
                    var end = i
                    if end > s, body[end - 1] == 10 { end -= 1 }
                    if end > s, body[end - 1] == 13 { end -= 1 }
                    parts.append(body[s..<end])
                }
                let after = i + delimiter.count
                let closing = body.endIndex - after >= 2 && body[after] == 45 && body[after + 1] == 45
                // Past the rest of the delimiter's line.
                var j = after
                while j < body.endIndex, body[j] != 10 { j += 1 }
                if closing { return parts }
                partStart = min(j + 1, body.endIndex)
                i = j + 1
                lineStart = true
                continue
            }
            lineStart = body[i] == 10
            i += 1
        }
        if let s = partStart, s < body.endIndex, parts.count < maxParts { parts.append(body[s...]) }
        return parts
    }

    static func decodeTransfer(_ body: Data, encoding: String?) -> Data {
        switch encoding?.lowercased().trimmingCharacters(in: .whitespaces) {
        case "base64":
            // Only the alphabet's bytes: line breaks and anything else a sender put between them go.
            var clean = Data(capacity: body.count)
            for b in body where (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 43 || b == 47 || b == 61 {
                clean.append(b)
            }
            // Whole groups of four only: a cut prefix must still decode.
            return Data(base64Encoded: clean.prefix(clean.count - clean.count % 4)) ?? Data()
        case "quoted-printable":
            return quotedPrintableDecode(body)
        default:
            return body
        }
    }

    static func quotedPrintableDecode(_ body: Data) -> Data {
        let bytes = [UInt8](body)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 48...57: b - 48
            case 65...70: b - 55
            case 97...102: b - 87
            default: nil
            }
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "=") {
                if i + 1 < bytes.count && bytes[i + 1] == 10 {
                    i += 2
                    continue
                } // soft break LF
                if i + 2 < bytes.count && bytes[i + 1] == 13 && bytes[i + 2] == 10 {
                    i += 3
                    continue
                } // soft break CRLF
                if i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                    continue
                }
            }
            out.append(b)
            i += 1
        }
        return Data(out)
    }

    static func decodeCharset(_ data: Data, charset: String?) -> String {
        switch charset?.lowercased() {
        case nil, "utf-8", "utf8", "us-ascii", "ascii":
            return String(decoding: data, as: UTF8.self)
        case "iso-8859-1", "latin1", "iso8859-1":
            return String(data: data, encoding: .isoLatin1) ?? String(decoding: data, as: UTF8.self)
        case "windows-1252", "cp1252":
            return String(data: data, encoding: .windowsCP1252) ?? String(decoding: data, as: UTF8.self)
        case "iso-8859-2", "latin2":
            return String(data: data, encoding: .isoLatin2) ?? String(decoding: data, as: UTF8.self)
        case "utf-16":
            return String(data: data, encoding: .utf16) ?? ""
        default:
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?iso-8859-1?Q?…?=`) in a header value.
    static func decodeWords(_ value: String) -> String {
        var out = ""
        var rest = Substring(value)
        var lastWasWord = false
        while let start = rest.range(of: "=?") {
            let between = rest[..<start.lowerBound]
            if !(lastWasWord && between.allSatisfy(\.isWhitespace)) { out += between }
            let after = rest[start.upperBound...]
            let pieces = after.split(separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
            guard pieces.count == 4, pieces[3].hasPrefix("="), let charset = pieces.first, pieces[1].count == 1 else {
                out += "=?"
                rest = after
                lastWasWord = false
                continue
            }
            let encoding = pieces[1].uppercased()
            let payload = String(pieces[2])
            var data = Data()
            if encoding == "B" {
                data = Data(base64Encoded: payload, options: .ignoreUnknownCharacters) ?? Data()
            } else {
                data = quotedPrintableDecode(Data(payload.replacingOccurrences(of: "_", with: " ").utf8))
            }
            out += decodeCharset(data, charset: String(charset.split(separator: "*").first ?? charset))
            rest = pieces[3].dropFirst()
            lastWasWord = true
        }
        return out + rest
    }

    /// Addresses in a header value (`"Ann" <ann@x.com>, bob@y.com`), as written.
    static func addresses(in value: String) -> [String] {
        var found: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            found.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        if found.isEmpty {
            found = value.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init).filter { $0.contains("@") }
        }
        return found.filter { $0.contains("@") }
    }

    /// A Message-ID CareLoop may keep and write back into its own mail's In-Reply-To and References:
    /// printable ASCII without spaces, brackets or anything that could end a header line, of a real
    /// length. Anything else is dropped where it is read, so it never reaches an outgoing header.
    static func isSafeMessageID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 250 else { return false }
        return id.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }

    static func messageIDs(_ value: String) -> [String] {
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            ids.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return ids
    }

    /// HTML mail to plain text in one forward pass (no regular expressions, nothing re-scanned): tags
    /// dropped, line breaks for `<br>` and block ends, `<script>`/`<style>` and quoted `<blockquote>`s
    /// removed with their content, the common entities decoded.
    static func htmlToText(_ html: String) -> String {
        let chars = Array(html.unicodeScalars)
        var out = String.UnicodeScalarView()
        out.reserveCapacity(chars.count)
        var i = 0
        // ASCII letters lower-cased, everything else as it is: tag names are ASCII, and a Unicode
        // property lookup per character is what made a page of text expensive.
        func lower(_ c: Unicode.Scalar) -> Unicode.Scalar { (65...90).contains(c.value) ? Unicode.Scalar(c.value + 32)! : c }
        func isTagStart(_ c: Unicode.Scalar) -> Bool { (65...90).contains(c.value) || (97...122).contains(c.value) || c == "/" || c == "!" }
        // Skips to just past `</name`…`>` (case-insensitive), or to the end: each character is looked at once.
        func skip(pastClosing name: String) {
            let closing = Array(("</" + name).unicodeScalars)
            var matched = 0
            while i < chars.count {
                let c = lower(chars[i])
                i += 1
                if c == closing[matched] {
                    matched += 1
                    if matched == closing.count {
                        while i < chars.count && chars[i] != ">" { i += 1 }
                        i += 1
                        return
                    }
                } else {
                    matched = c == closing[0] ? 1 : 0
                }
            }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "<", i + 1 < chars.count, isTagStart(chars[i + 1]) {
                // A tag: read its name, then run to its `>`.
                var j = i + 1
                let closing = chars[j] == "/"
                if closing { j += 1 }
                var name = ""
                while j < chars.count, isTagStart(chars[j]) && chars[j] != "/" && chars[j] != "!" || ("0"..."9").contains(chars[j]),
                    name.unicodeScalars.count < 20
                {
                    name.unicodeScalars.append(chars[j])
                    j += 1
                }
                name = name.lowercased()
                while j < chars.count && chars[j] != ">" { j += 1 }
                i = j + 1
                if !closing && ["script", "style", "blockquote"].contains(name) {
                    skip(pastClosing: name)
                    if name == "blockquote" { out.append("\n") }
                } else if name == "br" || (closing && ["p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6"].contains(name)) {
                    out.append("\n")
                }
                continue
            }
            if c == "&" {
                // An entity: at most 10 characters up to its `;`.
                var j = i + 1
                while j < chars.count, j - i <= 10, chars[j] != ";", chars[j] != "&", chars[j] != "<" { j += 1 }
                if j < chars.count, chars[j] == ";", let decoded = entity(String(String.UnicodeScalarView(chars[(i + 1)..<j]))) {
                    out.append(decoded)
                    i = j + 1
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return String(out)
    }

    static func entity(_ name: String) -> Unicode.Scalar? {
        switch name {
        case "nbsp": return " "
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos", "#39": return "'"
        case "amp": return "&"
        default:
            guard name.hasPrefix("#"), name.count > 1 else { return nil }
            let digits = name.dropFirst()
            let value = digits.first == "x" || digits.first == "X" ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            guard let value, value >= 0x20 || value == 0x0A || value == 0x09, let scalar = Unicode.Scalar(value) else { return nil }
            return scalar
        }
    }
}

import Foundation

/// An inbound email, read from raw RFC 822 / MIME bytes: the headers CareLoop needs and the best
/// plain-text body. Never throws on odd input: what cannot be read is left out, and a message with
/// no readable text has an empty `text`.
public struct MIMEMessage: Sendable {
    public var headers: [(name: String, value: String)]
    /// The body as plain text: text/plain preferred, else HTML stripped to text.
    public var text: String

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

    /// Message-IDs this message answers (In-Reply-To, then References newest first), without brackets.
    static let maxReferences = 20

    public var referencedIDs: [String] {
        let inReplyTo = header("In-Reply-To").map(MIME.messageIDs) ?? []
        let references = header("References").map(MIME.messageIDs) ?? []
        var seen = Set<String>()
        // The newest 20 are enough to find the thread; a list from outside is never taken whole.
        return Array((inReplyTo.prefix(5) + references.suffix(20).reversed()).filter { seen.insert($0).inserted }.prefix(Self.maxReferences))
    }

    /// The token of a `reply+TOKEN@domain` recipient, if there is one.
    public func replyToken(domain: String? = nil) -> String? {
        for address in recipientAddresses {
            let parts = address.split(separator: "@")
            guard parts.count == 2, parts[0].lowercased().hasPrefix("reply+") else { continue }
            if let domain, parts[1].lowercased() != domain.lowercased() { continue }
            let token = String(parts[0].dropFirst("reply+".count))
            if !token.isEmpty { return token }
        }
        return nil
    }

    public init(raw: Data) {
        let (headers, body) = MIME.split(raw)
        self.headers = headers
        self.text = MIME.bestText(headers: headers, body: body)
    }
}

/// The pieces of MIME reading.
enum MIME {
    /// Splits at the first empty line; unfolds header continuation lines.
    static func split(_ raw: Data) -> ([(name: String, value: String)], Data) {
        let bytes = [UInt8](raw)
        var i = 0
        var headerEnd = bytes.count
        var bodyStart = bytes.count
        while i < bytes.count {
            // an empty line: CRLF CRLF or LF LF
            if bytes[i] == 10 {
                if i + 1 < bytes.count && bytes[i + 1] == 10 {
                    headerEnd = i
                    bodyStart = i + 2
                    break
                }
                if i + 2 < bytes.count && bytes[i + 1] == 13 && bytes[i + 2] == 10 {
                    headerEnd = i
                    bodyStart = i + 3
                    break
                }
            }
            i += 1
        }
        if i == 0 || (bytes.first == 13 && bytes.count > 1 && bytes[1] == 10) {
            headerEnd = 0
            bodyStart = min(bytes.count, bytes.first == 13 ? 2 : 1)
        }
        let headerText = String(decoding: bytes[0..<min(headerEnd, bytes.count)], as: UTF8.self)
        var headers: [(String, String)] = []
        for rawLine in headerText.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n") {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine
            if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
                headers[headers.count - 1].1 += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty, !name.contains(" ") else { continue }
                headers.append((name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        let body = bodyStart < bytes.count ? Data(bytes[bodyStart...]) : Data()
        return (headers.map { (name: $0.0, value: $0.1) }, body)
    }

    /// `text/plain; charset="utf-8"` → ("text/plain", ["charset": "utf-8"]).
    static func contentType(_ value: String?) -> (type: String, params: [String: String]) {
        guard let value else { return ("text/plain", [:]) }
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
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

    static func bestText(headers: [(name: String, value: String)], body: Data, depth: Int = 0) -> String {
        func header(_ n: String) -> String? { headers.first { $0.name.caseInsensitiveCompare(n) == .orderedSame }?.value }
        let (type, params) = contentType(header("Content-Type"))
        if type.hasPrefix("multipart/"), let boundary = params["boundary"], depth < 8 {
            let parts = splitParts(body, boundary: boundary).map { split($0) }
            let candidates = parts.map { (contentType(headerValue($0.0, "Content-Type")).type, $0) }
            // alternative: prefer text/plain; mixed/related: the first readable text part
            if let plain = candidates.first(where: { $0.0 == "text/plain" && !isAttachment($0.1.0) }) {
                return bestText(headers: plain.1.0, body: plain.1.1, depth: depth + 1)
            }
            for (t, part) in candidates where (t.hasPrefix("multipart/") || t == "text/html") && !isAttachment(part.0) {
                let text = bestText(headers: part.0, body: part.1, depth: depth + 1)
                if !text.isEmpty { return text }
            }
            return ""
        }
        guard type == "text/plain" || type == "text/html" || header("Content-Type") == nil else { return "" }
        let decoded = decodeTransfer(body, encoding: header("Content-Transfer-Encoding"))
        let text = decodeCharset(decoded, charset: params["charset"])
        return (type == "text/html" ? htmlToText(text) : text).replacingOccurrences(of: "\r\n", with: "\n")
    }

    static func headerValue(_ headers: [(name: String, value: String)], _ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    static func isAttachment(_ headers: [(name: String, value: String)]) -> Bool {
        headerValue(headers, "Content-Disposition")?.lowercased().hasPrefix("attachment") == true
    }

    static func splitParts(_ body: Data, boundary: String) -> [Data] {
        let text = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        var parts: [String] = []
        var current: [String]?
        for line in text.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "--\(boundary)--" {
                if let c = current { parts.append(c.joined(separator: "\n")) }
                current = nil
                break
            }
            if trimmed == "--\(boundary)" {
                if let c = current { parts.append(c.joined(separator: "\n")) }
                current = []
            } else {
                current?.append(line)
            }
        }
        if let c = current { parts.append(c.joined(separator: "\n")) }
        return parts.map { Data($0.utf8) }
    }

    static func decodeTransfer(_ body: Data, encoding: String?) -> Data {
        switch encoding?.lowercased().trimmingCharacters(in: .whitespaces) {
        case "base64":
            let clean = String(decoding: body, as: UTF8.self).filter { !$0.isWhitespace }
            return Data(base64Encoded: clean, options: .ignoreUnknownCharacters) ?? Data()
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
        // Skips to just past `</name`…`>` (case-insensitive), or to the end: each character is looked at once.
        func skip(pastClosing name: String) {
            let closing = Array(("</" + name).unicodeScalars)
            var matched = 0
            while i < chars.count {
                let c = chars[i].properties.lowercaseMapping.unicodeScalars.first ?? chars[i]
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
            if c == "<", i + 1 < chars.count, chars[i + 1].properties.isAlphabetic || chars[i + 1] == "/" || chars[i + 1] == "!" {
                // A tag: read its name, then run to its `>`.
                var j = i + 1
                let closing = chars[j] == "/"
                if closing { j += 1 }
                var name = ""
                while j < chars.count, chars[j].properties.isAlphabetic || ("0"..."9").contains(chars[j]), name.unicodeScalars.count < 20 {
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

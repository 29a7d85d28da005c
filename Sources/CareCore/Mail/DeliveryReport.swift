import Foundation

/// What a delivery status notification (RFC 3464: `multipart/report; report-type=delivery-status`)
/// says about each recipient: the address, what happened (`failed`, `delayed`, …), the status code
/// (`5.1.1`) and the receiving server's words. Read from at most `maxRecipients` recipient groups.
public struct DeliveryReport: Sendable, Equatable {
    public struct Recipient: Sendable, Equatable {
        /// Lower-cased, without the `rfc822;` type.
        public var address: String
        public var action: String
        public var status: String
        public var diagnostic: String?

        /// A permanent failure (RFC 3463 class 5): the address will not take mail.
        public var isPermanent: Bool { action == "failed" && status.hasPrefix("5.") }
        /// A temporary one (class 4, or a `delayed` action): worth noting, not acting on.
        public var isTransient: Bool { status.hasPrefix("4.") || action == "delayed" }
    }

    public var recipients: [Recipient]

    static let maxRecipients = 50

    /// The report in a mail's body, if the mail is a delivery status notification.
    static func read(headers: [(name: String, value: String)], body: ArraySlice<UInt8>) -> DeliveryReport? {
        let (type, params) = MIME.contentType(MIME.headerValue(headers, "Content-Type"))
        guard type == "multipart/report", params["report-type"]?.lowercased() == "delivery-status", let boundary = params["boundary"]
        else { return nil }
        for part in MIME.splitParts(body, boundary: boundary) {
            let (partHeaders, fields, tooLarge) = MIME.split(part)
            let partType = MIME.contentType(MIME.headerValue(partHeaders, "Content-Type")).type
            guard !tooLarge, partType == "message/delivery-status" || partType == "message/global-delivery-status" else { continue }
            return DeliveryReport(recipients: recipientGroups(fields))
        }
        return nil
    }

    /// The per-recipient groups of a `message/delivery-status` body: header-like fields in groups
    /// separated by empty lines, the first group about the message as a whole.
    static func recipientGroups(_ fields: ArraySlice<UInt8>) -> [Recipient] {
        var recipients: [Recipient] = []
        var rest = fields
        var first = true
        while !rest.isEmpty, recipients.count < maxRecipients {
            let (group, after, tooLarge) = MIME.split(rest)
            guard !tooLarge else { break }
            defer { rest = after }
            if first {
                first = false
                // Per-message fields carry no Final-Recipient; a report without them starts with a recipient.
                if MIME.headerValue(group, "Final-Recipient") == nil { continue }
            }
            guard let final = MIME.headerValue(group, "Final-Recipient") ?? MIME.headerValue(group, "Original-Recipient") else { continue }
            let address = final.split(separator: ";", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? final
            let action = (MIME.headerValue(group, "Action") ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            let status = String((MIME.headerValue(group, "Status") ?? "").prefix { $0.isNumber || $0 == "." }.prefix(20))
            let diagnostic = MIME.headerValue(group, "Diagnostic-Code").map { String($0.prefix(500)) }
            recipients.append(
                Recipient(
                    address: String(address.prefix(320)).lowercased(), action: String(action.prefix(20)), status: status, diagnostic: diagnostic))
        }
        return recipients
    }
}

import CareCore
import Foundation

/// A customer's emailed reply as a mail system would post it: raw RFC 822, quoted-printable text.
func rawReply(from: String, to: String, inReplyTo: String?, references: [String], messageID: String, text: String) -> Data {
    var headers = ["From: Grace Hopper <\(from)>", "To: \(to)", "Subject: Re: About your review", "Message-ID: <\(messageID)>",
                   "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"]
    if let inReplyTo { headers.append("In-Reply-To: \(inReplyTo)") }
    if !references.isEmpty { headers.append("References: " + references.joined(separator: " ")) }
    return Data((headers.joined(separator: "\r\n") + "\r\n\r\n" + MailComposer.quotedPrintable(text) + "\r\n").utf8)
}

/// The path of the customer's page in a mail's text (`https://shop.test/c/TOKEN...` → `/c/TOKEN...`).
func pagePath(in text: String, publicURL: String = "https://shop.test") -> String? {
    guard let start = text.range(of: publicURL + "/c/") else { return nil }
    let rest = text[start.upperBound...]
    let token = rest.prefix { !$0.isWhitespace && $0 != "#" && $0 != "\"" && $0 != "<" }
    return "/c/" + token
}

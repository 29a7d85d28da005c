import CareCore
import Fluent
import Foundation

@testable import CareWeb

/// A server that mails through `sink` and delivers its outbox at once, retrying quickly.
func mailConfig(_ sink: SMTPSink) -> (inout CareConfig) -> Void {
    { c in
        c.smtpURL = "smtp://127.0.0.1:\(sink.port)"
        c.mailFrom = "care@mail.test"
        c.mailDomain = "mail.test"
        c.publicURL = "https://shop.test"
        c.runOutboxWorker = true
        c.outboxPollSeconds = 0.2
        c.retryPolicy = .init(baseDelay: 0.2, maxDelay: 1, window: 3600)
    }
}

/// A customer's emailed reply as a mail system would post it: raw RFC 822, quoted-printable text.
func rawReply(from: String, to: String, inReplyTo: String?, references: [String], messageID: String, text: String) -> Data {
    var headers = [
        "From: Grace Hopper <\(from)>", "To: \(to)", "Subject: Re: About your review", "Message-ID: <\(messageID)>",
        "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable",
    ]
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

extension TestServer {
    /// The store's first email job once it has been tried at least twice (the mail server is down), or
    /// as it is after ten seconds.
    func emailJobAfterRetries(storeID: UUID) async throws -> OutboxJob? {
        var job: OutboxJob?
        for _ in 0..<200 {
            job = try await OutboxJob.query(on: app.db).filter(\.$storeID == storeID).filter(\.$kind == .email).first()
            if (job?.attempts ?? 0) >= 2 { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return job
    }
}

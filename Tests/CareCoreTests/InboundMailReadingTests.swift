import Foundation
import XCTest

@testable import CareCore

/// Reading inbound mail: who wrote it (a person or a machine), what a delivery report says, and
/// the bounds no sender can push past.
final class InboundMailReadingTests: XCTestCase {
    func crlf(_ s: String) -> Data { Data(s.replacingOccurrences(of: "\n", with: "\r\n").utf8) }

    func testOutOfOfficeShapesAreAutomaticAndPeoplesMailIsNot() throws {
        // setup: the shapes Exchange/Outlook, Gmail and a plain RFC 3834 responder send, and people's own mail
        let exchange = crlf(
            """
            From: Grace Hopper <grace@example.com>
            To: reply+tok@mail.test
            Subject: Automatic reply: About your review
            Auto-Submitted: auto-generated
            X-Auto-Response-Suppress: All
            X-MS-Exchange-Inbox-Rules-Loop: grace@example.com
            Content-Type: text/plain; charset=utf-8

            I am out of the office until Monday 14 December with no access to email.
            """)
        let gmail = crlf(
            """
            From: Grace <grace@gmail.test>
            To: reply+tok@mail.test
            Subject: Re: About your review
            Auto-Submitted: auto-replied
            Precedence: bulk
            Content-Type: text/plain; charset=UTF-8

            Away until 2 January. I'll answer when I'm back.
            """)
        let rfc3834 = crlf(
            """
            From: grace@example.com
            To: reply+tok@mail.test
            Subject: Auto: About your review
            Auto-Submitted: auto-replied (vacation)
            In-Reply-To: <careloop.1@mail.test>

            On holiday.
            """)
        let person = crlf(
            """
            From: Grace <grace@example.com>
            To: reply+tok@mail.test
            Subject: Re: About your review
            X-Auto-Response-Suppress: All
            Auto-Submitted: no
            Content-Type: text/plain

            Out of office today, but: the lid still drips.
            """)
        // act and check
        for raw in [exchange, gmail, rfc3834] {
            let read = try InboundMail.read(raw)
            XCTAssertEqual(read.kind, .autoReply, String(decoding: raw, as: UTF8.self))
            XCTAssertTrue(read.automaticNote.hasPrefix("Automatic reply"), read.automaticNote)
        }
        XCTAssertTrue(try InboundMail.read(exchange).automaticNote.contains("out of the office until Monday 14 December"))
        XCTAssertEqual(try InboundMail.read(person).kind, .person, "Outlook's X-Auto-Response-Suppress and Auto-Submitted: no are a person's")
        XCTAssertEqual(try InboundMail.read(crlf("From: a@x.test\nList-Id: <news.x.test>\n\nnews")).kind, .bulk)
        XCTAssertEqual(try InboundMail.read(crlf("Return-Path: <>\nFrom: a@x.test\n\nthanks")).kind, .autoReply)
    }

    func testADeliveryStatusNotificationIsReadPerRecipient() throws {
        // setup: Postfix's shape (RFC 3464), with a per-message group and two recipients
        let raw = crlf(
            """
            From: MAILER-DAEMON@mx.test (Mail Delivery System)
            To: bounce+abc@mail.test
            Subject: Undelivered Mail Returned to Sender
            Auto-Submitted: auto-replied
            Content-Type: multipart/report; report-type=delivery-status;
                boundary="B1"

            --B1
            Content-Type: text/plain

            I'm sorry to have to inform you that your message could not be delivered.
            --B1
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.test
            Arrival-Date: Mon,  7 Dec 2026 01:00:00 +0000

            Final-Recipient: rfc822; Gone@Dead.test
            Original-Recipient: rfc822;gone@dead.test
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: X-Postfix; mailbox unavailable

            Final-Recipient: rfc822; slow@example.com
            Action: delayed
            Status: 4.4.1
            --B1
            Content-Type: text/rfc822-headers

            Message-ID: <careloop.x@mail.test>
            --B1--
            """)
        // act
        let read = try InboundMail.read(raw)
        // check
        XCTAssertEqual(read.kind, .deliveryReport)
        XCTAssertEqual(read.message.bounceToken(domain: "mail.test"), "abc")
        let recipients = try XCTUnwrap(read.message.deliveryReport?.recipients)
        XCTAssertEqual(recipients.map(\.address), ["gone@dead.test", "slow@example.com"])
        XCTAssertTrue(recipients[0].isPermanent)
        XCTAssertEqual(recipients[0].status, "5.1.1")
        XCTAssertEqual(recipients[0].diagnostic, "X-Postfix; mailbox unavailable")
        XCTAssertFalse(recipients[1].isPermanent)
        XCTAssertTrue(recipients[1].isTransient)
        // a report that is not a delivery report is not read as one
        XCTAssertNil(
            MIMEMessage(raw: crlf("Content-Type: multipart/report; report-type=disposition-notification; boundary=x\n\n--x\n\nhi\n--x--"))
                .deliveryReport)
    }

    func testHeaderSectionsPastTheLimitsAreRefusedAndLongTextIsCutAndSaysSo() throws {
        // 1.2 M short header lines, and 300 KiB of header in one line: refused, in time linear in what was read
        var lines = Data("From: a@x.test\r\n".utf8)
        lines.append(Data(String(repeating: "X-A: b\r\n", count: 1_200_000).utf8))
        lines.append(Data("\r\nhi".utf8))
        let started = Date()
        XCTAssertThrowsError(try InboundMail.read(lines)) { XCTAssertEqual(($0 as? CareError)?.code, "mail_headers_too_large") }
        XCTAssertThrowsError(try InboundMail.read(Data(("Subject: " + String(repeating: "x", count: 300_000) + "\r\n\r\nhi").utf8)))
        // 9.5 MB of blank lines after a valid header: read, its text cut and the cut said
        var blank = Data("From: a@x.test\r\nTo: reply+t@mail.test\r\n\r\nThe lid drips.\r\n".utf8)
        blank.append(Data(repeating: UInt8(ascii: "\n"), count: 9_500_000))
        blank.append(Data("tail".utf8))
        let read = try InboundMail.read(blank)
        XCTAssertTrue(read.message.textCut)
        XCTAssertTrue(read.body.hasPrefix("The lid drips."), read.body.prefix(100).description)
        XCTAssertTrue(read.body.hasSuffix("the rest was left out.]"), String(read.body.suffix(100)))
        // both together in well under the time a store's request may take (a debug build: generous)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
    }

    func testMessageIDsThatCouldEndAHeaderLineAreNeverKeptOrWrittenBack() throws {
        // setup: a Message-ID carrying bare CRs and headers of its own
        let raw = Data(
            ("From: a@x.test\r\nMessage-ID: <abc@x\rBcc: attacker@evil.test\rReply-To: attacker@evil.test>\r\n"
                + "In-Reply-To: <ok@mail.test> <bad\r@x>\r\nReferences: <a b@x> <fine@x>\r\n\r\nhi").utf8)
        // act
        let m = MIMEMessage(raw: raw)
        // check
        XCTAssertNil(m.messageID)
        XCTAssertEqual(m.referencedIDs, ["ok@mail.test", "fine@x"])
        // and the one place headers are written neutralises whatever reaches it
        var out = OutgoingMail(
            fromName: "Shop\r\nBcc: x@evil.test", fromAddress: "care@mail.test", to: "a@x.test", toName: nil, replyTo: nil,
            subject: "Hi\rBcc: y@evil.test", text: "t", html: nil, messageID: "m@mail.test", inReplyTo: "abc@x\rBcc: attacker@evil.test",
            references: ["abc@x\rBcc: attacker@evil.test", "fine@x"], date: Date())
        out.extraHeaders = [("X-Test", "one\r\nBcc: z@evil.test\u{0}")]
        let composed = MailComposer.compose(out)
        let head = String(composed[..<composed.range(of: "\r\n\r\n")!.lowerBound])
        XCTAssertFalse(head.contains("\rBcc") || head.contains("\nBcc") || head.contains("\u{0}"), head)
        XCTAssertFalse(head.replacingOccurrences(of: "\r\n ", with: "").contains("\r") && head.contains("\r\r"))
        for line in head.components(separatedBy: "\r\n") {
            XCTAssertFalse(line.contains("\r") || line.contains("\n"), line)
            XCTAssertFalse(line.lowercased().hasPrefix("bcc:"), line)
        }
        XCTAssertTrue(head.contains("References: <fine@x>"), head)
        XCTAssertFalse(head.contains("In-Reply-To"), head)
    }

    func testAutomaticMailIsMarkedAndAPersonsIsNot() {
        var m = OutgoingMail(
            fromName: nil, fromAddress: "care@mail.test", to: "a@x.test", toName: nil, replyTo: nil, subject: "s", text: "t", html: nil,
            messageID: "m@mail.test", inReplyTo: nil, references: [], date: Date())
        XCTAssertFalse(MailComposer.compose(m).contains("Auto-Submitted"))
        m.automatic = true
        XCTAssertTrue(MailComposer.compose(m).contains("\r\nAuto-Submitted: auto-generated\r\n"))
    }

    func testAMailOfManyEmptyTextPartsIsReadWithinItsBudget() throws {
        // setup: 100 HTML parts, each an unclosed <script> of 98 KB (reads as no text), then a real one
        let part = "--b\r\nContent-Type: text/html\r\n\r\n<script>" + String(repeating: "Ab", count: 49_000) + "\r\n"
        let raw = Data(
            ("From: x@example.com\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" + String(repeating: part, count: 100)
                + "--b\r\nContent-Type: text/html\r\n\r\n<p>Real words</p>\r\n--b--\r\n").utf8)
        // act
        let m = MIMEMessage(raw: raw)
        // check: only the first text parts are tried, within the mail's decoding budget, and the cut is said
        XCTAssertEqual(m.text, "")
        XCTAssertTrue(m.textCut)
        XCTAssertLessThanOrEqual(MIME.maxTextCandidates * 2 * 49_000, MIME.decodeBudget * 2, "the budget bounds the work, not the part count")
        // and the same shape with the real text among the first parts is read
        let near = Data(
            ("From: x@example.com\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" + String(repeating: part, count: 2)
                + "--b\r\nContent-Type: text/html\r\n\r\n<p>Real words</p>\r\n--b--\r\n").utf8)
        XCTAssertEqual(MIMEMessage(raw: near).text.trimmingCharacters(in: .whitespacesAndNewlines), "Real words")
    }
}

import Foundation
import XCTest

@testable import CareCore

/// Inbound mail in the shapes real clients send. The fixtures are written here, modelled on what
/// Gmail, Apple Mail and Outlook put on the wire.
final class MIMETests: XCTestCase {
    func crlf(_ s: String) -> Data { Data(s.replacingOccurrences(of: "\n", with: "\r\n").utf8) }

    func testGmailReplyMultipartAlternativeQuotedPrintable() {
        // setup
        let raw = crlf(
            """
            Delivered-To: reply+AbC123_x@mail.shop.test
            From: Grace Hopper <Grace@Example.com>
            To: "Demo Store" <reply+AbC123_x@mail.shop.test>
            Subject: Re: About your =?UTF-8?Q?Gooseneck_Kettle?= review
            In-Reply-To: <careloop.1111@mail.shop.test>
            References: <careloop.0000@mail.shop.test> <careloop.1111@mail.shop.test>
            Content-Type: multipart/alternative; boundary="000000000000abc"

            --000000000000abc
            Content-Type: text/plain; charset="UTF-8"
            Content-Transfer-Encoding: quoted-printable

            Thanks =E2=80=94 the lid still drips when I pour. Could you send a new one=
             please?

            On Mon, 23 Nov 2026 at 11:25, Demo Store <care@mail.shop.test> wrote:
            > ## Please reply above this line ##
            > Hi Grace,
            --000000000000abc
            Content-Type: text/html; charset="UTF-8"

            <div>Thanks — HTML version</div>
            --000000000000abc--
            """)
        // act
        let m = MIMEMessage(raw: raw)
        // check
        XCTAssertEqual(m.fromAddress, "grace@example.com")
        XCTAssertEqual(m.replyToken(domain: "mail.shop.test"), "AbC123_x")
        XCTAssertEqual(m.subject, "Re: About your Gooseneck Kettle review")
        XCTAssertEqual(m.referencedIDs, ["careloop.1111@mail.shop.test", "careloop.0000@mail.shop.test"])
        XCTAssertEqual(
            ReplyText.extract(m.text), "Thanks — the lid still drips when I pour. Could you send a new one please?",
            m.text + " / " + m.headers.map { $0.name }.joined(separator: ","))
    }

    func testAppleMailReplyWithWrappedAttributionAndSignature() {
        let raw = crlf(
            """
            From: alan@example.com
            To: reply+tok9@mail.shop.test
            Subject: Re: About your review
            Content-Type: text/plain; charset=us-ascii
            Content-Transfer-Encoding: 7bit

            It arrived today, thank you!

            Alan
            --\u{20}
            Alan Turing, Bletchley

            On 23 Nov 2026, at 11:25, Demo Store <care@mail.shop.test>
            wrote:

            > Hi Alan,
            """)
        let m = MIMEMessage(raw: raw)
        XCTAssertEqual(m.replyToken(), "tok9")
        XCTAssertEqual(ReplyText.extract(m.text), "It arrived today, thank you!\n\nAlan")
    }

    func testOutlookReplyBase64Latin1WithOriginalMessageBlock() {
        let body = "Merci, c'est réglé.\r\n\r\n-----Original Message-----\r\nFrom: Demo Store <care@mail.shop.test>\r\nSent: Monday\r\n"
        let latin1 = body.data(using: .isoLatin1)!.base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ])
        let raw = crlf(
            """
            From: "Zoë Martin" <zoe@example.fr>
            To: <reply+Q1w2@mail.shop.test>
            Subject: =?iso-8859-1?Q?R=E9f=E9rence?=
            Content-Type: multipart/mixed; boundary=outer

            --outer
            Content-Type: multipart/alternative; boundary=inner

            --inner
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: base64

            \(latin1)
            --inner--
            --outer
            Content-Type: image/png; name=photo.png
            Content-Disposition: attachment; filename=photo.png
            Content-Transfer-Encoding: base64

            iVBORw0KGgo=
            --outer--
            """)
        let m = MIMEMessage(raw: raw)
        XCTAssertEqual(m.subject, "Référence")
        XCTAssertEqual(m.fromAddress, "zoe@example.fr")
        XCTAssertEqual(ReplyText.extract(m.text), "Merci, c'est réglé.")
    }

    func testHTMLOnlyReplyIsReadAsText() {
        let raw = crlf(
            """
            From: a@example.com
            To: reply+h1@mail.shop.test
            Content-Type: text/html; charset=utf-8

            <html><body><p>Yes please &amp; thanks</p><br><blockquote>old stuff</blockquote><style>p{}</style></body></html>
            """)
        XCTAssertEqual(ReplyText.extract(MIMEMessage(raw: raw).text), "Yes please & thanks")
    }

    /// Gmail's German HTML reply: "Am … schrieb Name <address>:" above the quote (the name after
    /// "schrieb", so the line does not end in "schrieb:"); Apple Mail's, wrapped onto two lines.
    func testGermanAttributionLinesInHTMLRepliesAreCut() {
        let gmail = crlf(
            """
            From: a@example.de
            To: reply+h2@mail.shop.test
            Content-Type: text/html; charset=utf-8

            <div dir="ltr">Danke, passt jetzt.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">Am Mo., 7. Dez. 2026 um 10:00 Uhr schrieb Shop &lt;<a href="mailto:care@shop.test">care@shop.test</a>&gt;:<br></div><div>## Please reply above this line ##</div></div>
            """)
        XCTAssertEqual(ReplyText.extract(MIMEMessage(raw: gmail).text), "Danke, passt jetzt.")
        XCTAssertEqual(ReplyText.extract("Gut so.\n\nAm 07.12.2026 um 10:00 schrieb Shop\n<care@shop.test>:\n\nalter Text"), "Gut so.")
        XCTAssertEqual(
            ReplyText.extract("Am Montag kommt er zurück.\nDanke!"), "Am Montag kommt er zurück.\nDanke!", "a sentence starting with Am stays")
    }

    func testGarbageNeverCrashesAndReadsAsNothingUseful() {
        let samples: [Data] = [
            Data(), Data([0xFF, 0xFE, 0x00, 0x01]), Data("no headers at all".utf8), Data("\r\n\r\n".utf8),
            crlf("Content-Type: multipart/mixed; boundary=x\n\n--x\n--x\n--x--"),
            crlf("Content-Type: multipart/mixed\n\nno boundary"),
            crlf("Content-Transfer-Encoding: base64\n\n!!!not base64!!!"),
            crlf("Content-Transfer-Encoding: quoted-printable\n\n=ZZ=\n=4"),
            crlf("Subject: =?UTF-8?B?####?= =?broken\nTo: <reply+@x>\n\nhi"),
            Data(repeating: UInt8(ascii: "-"), count: 100_000),
        ]
        for raw in samples {
            let m = MIMEMessage(raw: raw)
            _ = ReplyText.extract(m.text)
            _ = m.subject
            XCTAssertNil(m.replyToken(), "no token in garbage")
        }
    }

    func testHTMLIsReadInOneLinearPass() {
        // setup: shapes that made the regular-expression reader quadratic (60 KB of '<' took 45 s)
        let shapes = [
            String(repeating: "<", count: 60_000), String(repeating: "<a ", count: 20_000),
            String(repeating: "<script>", count: 7_500), String(repeating: "&#x", count: 20_000),
            String(repeating: "<blockquote>", count: 5_000),
        ]
        let started = Date()
        for html in shapes {
            // act
            _ = MIME.htmlToText(html + "tail")
        }
        // check: all of them together in well under a second (generous for a debug build)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        // and the reading is what it was
        XCTAssertEqual(
            MIME.htmlToText("<p>Hi &amp; bye</p><br/>x<style>p{}</style>y<BLOCKQUOTE>old</blockquote>z &#65;&#x42;"),
            "Hi & bye\n\nxy\nz AB")
        XCTAssertEqual(MIME.htmlToText("a < b and c<d"), "a < b and c")
    }

    func testOnlyTheNewestReferencesAreTaken() {
        // setup: a mail with 5 000 References (each distinct SQL shape used to be cached forever)
        let refs = (0..<5_000).map { "<r\($0)@x.test>" }.joined(separator: " ")
        let m = MIMEMessage(raw: crlf("From: a@x.test\nIn-Reply-To: <last@x.test>\nReferences: \(refs)\n\nhi"))
        // act
        let ids = m.referencedIDs
        // check: bounded, newest first
        XCTAssertEqual(ids.count, MIMEMessage.maxReferences)
        XCTAssertEqual(ids.first, "last@x.test")
        XCTAssertEqual(ids[1], "r4999@x.test")
    }
}

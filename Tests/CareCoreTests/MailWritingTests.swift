import Foundation
import XCTest

@testable import CareCore

/// The bytes CareLoop writes for every mail: its date, its quoted-printable text and what DATA sends.
final class MailWritingTests: XCTestCase {
    func testTheDateIsRFC5322InUTC() {
        XCTAssertEqual(MailComposer.rfc5322Date(Date(timeIntervalSince1970: 1_796_606_453.9)), "Mon, 07 Dec 2026 01:20:53 +0000")
        XCTAssertEqual(MailComposer.rfc5322Date(Date(timeIntervalSince1970: 0)), "Thu, 01 Jan 1970 00:00:00 +0000")
    }

    func testQuotedPrintableKeepsLinesShortAndSpacesAtLineEndsVisible() {
        // a space before a line break, a lone CR, "=", non-ASCII and a line longer than 76
        let text = "Grüße = gut \nzeile\rzwei\r\n" + String(repeating: "x", count: 100) + "\t"
        let qp = MailComposer.quotedPrintable(text)
        XCTAssertEqual(
            qp,
            "Gr=C3=BC=C3=9Fe =3D gut=20\r\nzeile=0Dzwei\r\n" + String(repeating: "x", count: 75) + "=\r\n" + String(repeating: "x", count: 25) + "=09"
        )
        XCTAssertTrue(qp.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
        // and it reads back as it was written (what a mail program does)
        XCTAssertEqual(
            String(decoding: MIME.quotedPrintableDecode(Data(qp.utf8)), as: UTF8.self),
            text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n"))
    }

    func testDataDoublesLeadingDotsEndsLinesWithCRLFAndEndsWithTheDot() {
        let bytes = SMTPClient.dataBytes("Subject: x\n\n.leading\r\nmiddle.\n..two\n\n\n")
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "Subject: x\r\n\r\n..leading\r\nmiddle.\r\n...two\r\n.\r\n")
    }
}

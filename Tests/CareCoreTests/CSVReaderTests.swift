import Foundation
import XCTest

@testable import CareCore

/// The CSV reader behind every import: RFC 4180 quoting, any chunking, bounded records, clear errors.
final class CSVReaderTests: XCTestCase {
    func records(_ text: String, chunk: Int = 1 << 18) throws -> [CSVReader.Record] {
        let bytes = Array(text.utf8)
        var offset = 0
        let reader = CSVReader {
            guard offset < bytes.count else { return nil }
            defer { offset += chunk }
            return Array(bytes[offset..<min(offset + chunk, bytes.count)])
        }
        var out: [CSVReader.Record] = []
        while let r = try reader.record() { out.append(r) }
        return out
    }

    func testQuotesLineEndsAndLineNumbersWhateverTheChunking() throws {
        let text = "\u{FEFF}a,b,c\r\n\"x, y\",\"two\nlines\",\"say \"\"hi\"\"\"\r\n\r\nplain,,last\n\"\",é,👍"
        for chunk in [1, 2, 3, 7, 1 << 18] {
            // act
            let r = try records(text, chunk: chunk)
            // check
            XCTAssertEqual(
                r.map(\.fields), [["a", "b", "c"], ["x, y", "two\nlines", "say \"hi\""], ["plain", "", "last"], ["", "é", "👍"]], "chunk \(chunk)")
            XCTAssertEqual(r.map(\.line), [1, 2, 5, 6], "chunk \(chunk)")
        }
    }

    func testBrokenInputIsAClearErrorNotAHang() throws {
        XCTAssertThrowsError(try records("a,b\n\"never closed,x\n")) { XCTAssertEqual($0 as? CSVReader.Problem, .unclosedQuote(line: 2)) }
        XCTAssertThrowsError(try records("a\n" + String(repeating: "x", count: CSVReader.maxFieldBytes + 1))) {
            XCTAssertEqual($0 as? CSVReader.Problem, .fieldTooLong(line: 2, max: CSVReader.maxFieldBytes))
        }
        XCTAssertThrowsError(try records(String(repeating: ",", count: CSVReader.maxFields + 1))) {
            XCTAssertEqual($0 as? CSVReader.Problem, .tooManyFields(line: 1, max: CSVReader.maxFields))
        }
        var given = false
        let reader = CSVReader {
            defer { given = true }
            return given ? nil : [0x61, 0x0A, 0xE9, 0x0A] // "a", then é in Latin-1
        }
        _ = try reader.record()
        XCTAssertThrowsError(try reader.record()) { XCTAssertEqual($0 as? CSVReader.Problem, .notUTF8(line: 2)) }
    }

    func testWriterQuotesWhatNeedsItAndGuardsFormulas() throws {
        XCTAssertEqual(CSVWriter.line(["a", "b,c", "say \"hi\"", "x\r\ny", " pad"]), "a,\"b,c\",\"say \"\"hi\"\"\",\"x\r\ny\",\" pad\"\r\n")
        XCTAssertEqual(CSVWriter.guarded("=1+1"), "'=1+1")
        XCTAssertEqual(CSVWriter.guarded("@SUM(A1)"), "'@SUM(A1)")
        XCTAssertEqual(CSVWriter.guarded("fine = good"), "fine = good")
        // "=" with a combining mark or a joiner is one Character that is not "=", and still a formula to a spreadsheet
        XCTAssertEqual(CSVWriter.guarded("=\u{0301}cmd|' /C calc'!A0"), "'=\u{0301}cmd|' /C calc'!A0")
        XCTAssertEqual(CSVWriter.guarded("=\u{200D}1+1"), "'=\u{200D}1+1")
        XCTAssertEqual(CSVWriter.guarded("'\u{0301}x"), "''\u{0301}x")
        let back = try records(CSVWriter.line(["a", "b,c", "say \"hi\"", "x\r\ny", " pad"]))
        XCTAssertEqual(back.first?.fields, ["a", "b,c", "say \"hi\"", "x\r\ny", " pad"])
    }

    func testImportDatesAsPlatformsWriteThem() {
        let expected = Date(timeIntervalSince1970: 1_714_645_488) // 2024-05-02T10:24:48Z
        for text in [
            "2024-05-02T10:24:48Z", "2024-05-02 10:24:48 UTC", "2024-05-02T12:24:48+02:00", "2024-05-02 03:24:48 -0700", "5/2/2024 10:24:48",
        ] {
            XCTAssertEqual(ImportDate.parse(text), expected, text)
        }
        XCTAssertEqual(ImportDate.parse("2024-05-02T10:24:48.250Z")?.timeIntervalSince1970, 1_714_645_488.25)
        XCTAssertEqual(ImportDate.parse("2024-02-29"), Date(timeIntervalSince1970: 1_709_164_800))
        XCTAssertEqual(ImportDate.parse("1970-01-01"), Date(timeIntervalSince1970: 0))
        for bad in ["", "2023-02-29", "2024-13-01", "13/40/2024", "2024-05-02 25:00", "yesterday", "2024-05-02T10:24:48Zjunk", "99999999999-01-01"] {
            XCTAssertNil(ImportDate.parse(bad), bad)
        }
    }
}

extension CSVReaderTests {
    /// What an attack review found: a lone CR inside quotes counts as a line, `'` round-trips.
    func testLoneCarriageReturnsCountAsLinesAndTheMarkRoundTrips() throws {
        let r = try records("a,b\r\"x\ry\",1\rnext,2\r")
        XCTAssertEqual(r.map(\.line), [1, 2, 4])
        XCTAssertEqual(CSVWriter.guarded("'=x"), "''=x")
        XCTAssertEqual(CSVWriter.guarded("+tag@example.com"), "'+tag@example.com")
        XCTAssertEqual(ImportDate.parse("2024-05-02 10:24:48 utc"), Date(timeIntervalSince1970: 1_714_645_488))
    }
}

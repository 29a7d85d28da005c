import Foundation

/// Reads CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF, a UTF-8 byte-order mark) from a
/// file in chunks, one record at a time, in one pass over the bytes: time is linear in the file and
/// memory is one record. A record is bounded (`maxFieldBytes`, `maxFields`) so a stray quote cannot
/// swallow the rest of a large file into memory.
public final class CSVReader {
    public struct Record: Sendable {
        /// The line the record starts on (1 is the header), as an editor shows it.
        public let line: Int
        public let fields: [String]
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case fieldTooLong(line: Int, max: Int)
        case tooManyFields(line: Int, max: Int)
        case notUTF8(line: Int)
        case unclosedQuote(line: Int)

        public var description: String {
            switch self {
            case .fieldTooLong(let line, let max): "line \(line): a field is longer than \(max) bytes (an unclosed quote?)"
            case .tooManyFields(let line, let max): "line \(line): more than \(max) fields"
            case .notUTF8(let line): "line \(line): not UTF-8 text"
            case .unclosedQuote(let line): "line \(line): a quoted field is never closed"
            }
        }

        public var line: Int {
            switch self {
            case .fieldTooLong(let l, _), .tooManyFields(let l, _), .notUTF8(let l), .unclosedQuote(let l): l
            }
        }
    }

    public static let maxFieldBytes = 1 << 20
    public static let maxFields = 256

    private let next: () throws -> [UInt8]?
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    private var line = 1
    private var startedFile = false
    /// Bytes consumed so far, for progress.
    public private(set) var bytesRead = 0

    /// Reads from a file handle, 256 KiB at a time.
    public convenience init(handle: FileHandle) {
        self.init { try handle.read(upToCount: 1 << 18).map { [UInt8]($0) } }
    }

    /// Reads from text already in memory (tests, small inputs).
    public convenience init(text: String) {
        var given = false
        self.init {
            defer { given = true }
            return given ? nil : Array(text.utf8)
        }
    }

    /// `next` returns the next chunk of bytes, or nil at the end.
    public init(chunks next: @escaping () throws -> [UInt8]?) {
        self.next = next
    }

    /// The next byte without taking it; nil at the end. Reads the next chunk when this one is used up.
    private func peek() throws -> UInt8? {
        if position == buffer.count {
            guard !finished, let chunk = try next(), !chunk.isEmpty else {
                finished = true
                return nil
            }
            buffer = chunk
            position = 0
        }
        return buffer[position]
    }

    private func byte() throws -> UInt8? {
        guard let b = try peek() else { return nil }
        position += 1
        bytesRead += 1
        return b
    }

    /// The next record, or nil at the end of the file. Blank lines are skipped.
    public func record() throws -> Record? {
        if !startedFile {
            startedFile = true
            // A byte-order mark (spreadsheets write one) is not part of the first header.
            if try peek() == 0xEF {
                var bom: [UInt8] = []
                while bom.count < 3, let b = try peek(), b == [0xEF, 0xBB, 0xBF][bom.count] {
                    bom.append(b)
                    _ = try byte()
                }
                if bom.count != 3 { throw Problem.notUTF8(line: line) }
            }
        }
        while true {
            let start = line
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var inQuotes = false
            var sawAnything = false

            func endField() throws {
                guard let text = String(validating: field, as: UTF8.self) else { throw Problem.notUTF8(line: start) }
                fields.append(text)
                guard fields.count <= Self.maxFields else { throw Problem.tooManyFields(line: start, max: Self.maxFields) }
                field.removeAll(keepingCapacity: true)
                quoted = false
            }

            while true {
                guard let b = try byte() else {
                    if inQuotes { throw Problem.unclosedQuote(line: start) }
                    if !sawAnything { return nil }
                    try endField()
                    return Record(line: start, fields: fields)
                }
                sawAnything = true
                if inQuotes {
                    if b == UInt8(ascii: "\"") {
                        if try peek() == UInt8(ascii: "\"") {
                            _ = try byte()
                            field.append(b)
                        } else {
                            inQuotes = false
                        }
                    } else {
                        // A line break inside quotes (LF, CRLF or a lone CR) still moves the line count.
                        let next = b == UInt8(ascii: "\r") ? try peek() : nil
                        if b == UInt8(ascii: "\n") || (b == UInt8(ascii: "\r") && next != UInt8(ascii: "\n")) { line += 1 }
                        field.append(b)
                    }
                } else if b == UInt8(ascii: ",") {
                    try endField()
                } else if b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n") {
                    if b == UInt8(ascii: "\r"), try peek() == UInt8(ascii: "\n") { _ = try byte() }
                    line += 1
                    if fields.isEmpty && field.isEmpty && !quoted { break } // a blank line
                    try endField()
                    return Record(line: start, fields: fields)
                } else if b == UInt8(ascii: "\""), field.isEmpty, !quoted {
                    inQuotes = true
                    quoted = true
                } else {
                    field.append(b)
                }
                if field.count > Self.maxFieldBytes { throw Problem.fieldTooLong(line: start, max: Self.maxFieldBytes) }
            }
        }
    }
}

/// Writes CSV that spreadsheets and `CSVReader` read back: fields quoted when they hold a comma, a
/// quote, a line break or surrounding spaces.
public enum CSVWriter {
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// A cell starting with one of these is run as a formula by spreadsheets (`=HYPERLINK(...)` in a
    /// customer's review would run on the shop owner's machine): `guarded` marks such a cell as text.
    /// Compared with the first Unicode scalar, not the first `Character`: `=` followed by a combining
    /// mark or a joiner is one Character that is not "=", yet a spreadsheet still reads a formula.
    public static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// The cells `guarded` marks: formulas, and cells already starting with the mark (so that taking
    /// one mark off on import always gives the text back).
    public static let guardedStarts: Set<Unicode.Scalar> = formulaStarts.union(["'"])

    public static func guarded(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, guardedStarts.contains(first) else { return value }
        return "'" + value
    }

    public static func field(_ value: String) -> String {
        let needsQuotes =
            value.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
            || value.first == " " || value.last == " "
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

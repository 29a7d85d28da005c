import FluentKit
import Foundation
import SQLKit

/// Many rows in one statement (`INSERT … VALUES (…), (…), …`), for bulk work such as imports: one
/// statement per few dozen rows instead of one per row. Chunked at 1 000 bound values: SQLite looks
/// each numbered placeholder up in a list (time grows with the square of a statement's values: at
/// 30 000 that lookup was 7 % of an import), and both databases cap the count (32 766, 65 535).
extension SQLDatabase {
    static var maxBindsPerStatement: Int { 1_000 }

    /// Runs `INSERT INTO table (columns) VALUES … suffix` over `rows` (each as many values as columns),
    /// handing every row the statement returns (with a `RETURNING` suffix) to `onRow`.
    func insertMany(
        into table: String, columns: [String], rows: [[any Encodable & Sendable]], suffix: String = "",
        onRow: @escaping @Sendable (any SQLRow) -> Void = { _ in }
    ) async throws {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        var s = SQLSerializer(database: self)
        func quoted(_ name: String) -> String {
            s.sql = ""
            SQLIdentifier(name).serialize(to: &s)
            return s.sql
        }
        let head = "INSERT INTO \(quoted(table)) (\(columns.map(quoted).joined(separator: ", "))) VALUES "
        let perChunk = Swift.max(1, Self.maxBindsPerStatement / columns.count)
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<Swift.min(start + perChunk, rows.count)]
            var text = head
            var values: [any Encodable & Sendable] = []
            values.reserveCapacity(chunk.count * columns.count)
            var n = 0
            for (i, row) in chunk.enumerated() {
                precondition(row.count == columns.count, "a row has one value per column")
                text += i == 0 ? "(" : ", ("
                for (j, value) in row.enumerated() {
                    n += 1
                    s.sql = ""
                    dialect.bindPlaceholder(at: n).serialize(to: &s)
                    text += (j == 0 ? "" : ", ") + s.sql
                    values.append(value)
                }
                text += ")"
            }
            try await execute(sql: WrittenStatement(text: text + (suffix.isEmpty ? "" : " " + suffix), values: values), onRow)
            start += chunk.count
        }
    }

    /// Inserts every column of each row, many rows per statement.
    func insertMany<Row: Model>(_ rows: [Row], into table: RowTable<Row>) async throws {
        try await insertMany(into: table.name, columns: table.columnNames, rows: rows.map { row in table.columns.map { $0.value(row) } })
        for row in rows { WriteEffects.noteWritten(row) }
    }
}

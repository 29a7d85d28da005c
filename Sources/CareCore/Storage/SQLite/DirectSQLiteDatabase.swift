import CSQLite
import FluentKit
import Logging
import NIOCore
import SQLKit

/// SQLKit on one `SQLiteHandle`: statements run inline on the calling task. The write queue uses
/// it for its connection; reads use `SQLiteReadDatabase` over the read connections.
struct DirectSQLiteDatabase: SQLDatabase {
    let handle: SQLiteHandle
    let logger: Logger
    let eventLoop: any EventLoop
    var dialect: any SQLDialect { CareSQLiteDialect() }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var queryLogLevel: Logger.Level? { .debug }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> Void) throws {
        try handle.run(query, on: self, onRow)
    }
}

extension SQLiteHandle {
    /// Serializes a SQLKit expression for `database`, binds its values and hands over each row.
    func run(_ query: any SQLExpression, on database: any SQLDatabase, _ onRow: (any SQLRow) -> Void) throws {
        var serializer = SQLSerializer(database: database)
        query.serialize(to: &serializer)
        let binds = try serializer.binds.map { try SQLiteCoding.encode($0) }
        database.logger.debug("\(serializer.sql) \(binds)")
        for row in try self.query(serializer.sql, binds) { onRow(row) }
    }
}

/// A result row: column names shared by every row of the statement, values as SQLite gave them.
struct DirectSQLiteRow: SQLRow, @unchecked Sendable {
    final class Columns: @unchecked Sendable {
        let names: [String]
        let index: [String: Int]
        init(names: [String]) {
            self.names = names
            self.index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    let columns: Columns
    let values: [SQLiteValue]

    var allColumns: [String] { columns.names }
    func contains(column: String) -> Bool { columns.index[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let i = columns.index[column] else { return true }
        return values[i] == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let i = columns.index[column] else {
            throw DecodingError.keyNotFound(SomeCodingKey(column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        return try SQLiteCoding.decode(D.self, from: values[i])
    }

    private struct SomeCodingKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A failure reported by SQLite on the direct write path, classified the way Fluent's errors are.
struct DirectSQLiteError: Error, DatabaseError, CustomStringConvertible {
    let code: Int32
    let message: String

    var description: String { "SQLite error \(code): \(message)" }
    var isSyntaxError: Bool { code & 0xFF == SQLITE_ERROR }
    var isConnectionClosed: Bool { false }
    var isConstraintFailure: Bool { code & 0xFF == SQLITE_CONSTRAINT }
}

import FluentKit
import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO
import VaporCSQLite

/// SQLKit on a `SQLiteHandle`: statements run inline on the calling task. Values are encoded and
/// decoded with SQLiteKit's own coders, so rows written here read back identically through Fluent.
struct DirectSQLiteDatabase: SQLDatabase {
    let handle: SQLiteHandle
    let logger: Logger
    let eventLoop: any EventLoop
    var dialect: any SQLDialect { SQLiteDialect() }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var queryLogLevel: Logger.Level? { .debug }

    private static let encoder = SQLiteDataEncoder()

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
        var serializer = SQLSerializer(database: self)
        query.serialize(to: &serializer)
        let binds = try serializer.binds.map { try Self.encoder.encode($0) }
        logger.debug("\(serializer.sql) \(binds)")
        for row in try handle.query(serializer.sql, binds) { onRow(row) }
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
    let values: [SQLiteData]

    private static let decoder = SQLiteDataDecoder()

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
        return try Self.decoder.decode(D.self, from: values[i])
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

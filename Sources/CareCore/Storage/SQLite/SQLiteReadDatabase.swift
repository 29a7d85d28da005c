import FluentKit
import FluentSQL
import Logging
import NIOCore
import NIOPosix
import SQLKit

/// Fluent and SQLKit on CareLoop's own SQLite connections. Each statement takes a read connection
/// (or runs on the one a transaction holds) and runs inline on the calling task.
///
/// Despite the name it can write (migrations, and the tests' fixtures write through Fluent), but the
/// application's writes go through the `WriteQueue`'s connection, one batch at a time.
struct SQLiteReadDatabase: Database, SQLDatabase {
    let connections: SQLiteConnections
    let context: DatabaseContext
    /// The connection a transaction or `withConnection` holds; nil: take one per statement.
    let pinned: SQLiteHandle?
    let inTransaction: Bool

    // MARK: SQLDatabase

    var dialect: any SQLDialect { CareSQLiteDialect() }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var queryLogLevel: Logger.Level? { .debug }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        if let pinned {
            return runPinned(pinned) { try $0.run(query, on: self, onRow) }
        }
        return connections.withHandle(on: eventLoop) { try $0.run(query, on: self, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        if let pinned {
            try pinned.run(query, on: self, onRow)
            return
        }
        try await connections.withHandle { try $0.run(query, on: self, onRow) }
    }

    /// A held connection is this caller's alone: inline, unless the caller is an event loop.
    private func runPinned(_ handle: SQLiteHandle, _ body: @escaping @Sendable (SQLiteHandle) throws -> Void) -> EventLoopFuture<Void> {
        guard MultiThreadedEventLoopGroupCheck.onEventLoop else {
            do {
                try body(handle)
                return eventLoop.makeSucceededVoidFuture()
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
        }
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { try body(handle) }
    }

    // MARK: Database

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        var sql = SQLQueryConverter(delegate: SQLiteSchemaTypes()).convert(query)
        // A created row reports its id back, as Fluent expects of a driver.
        if case .create = query.action, query.customIDKey != .some(.string("")) {
            sql = SQLKit.SQLList([sql, SQLReturning(SQLColumn((query.customIDKey ?? .id).description))], separator: SQLRaw(" "))
        }
        return execute(sql: sql) { onOutput(SQLRowOutput(row: $0, schema: nil)) }
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> {
        var schema = schema
        if schema.action == .update {
            // SQLite has no enum types to alter, and its ALTER TABLE only adds or drops columns.
            schema.updateFields = schema.updateFields.filter {
                if case .dataType(_, .enum) = $0 { return false }
                return true
            }
            guard schema.createConstraints.isEmpty, schema.updateFields.isEmpty, schema.deleteConstraints.isEmpty else {
                return eventLoop.makeFailedFuture(DirectSQLiteError(code: 1, message: "SQLite only adds or drops columns in ALTER TABLE"))
            }
            if schema.createFields.isEmpty, schema.deleteFields.isEmpty { return eventLoop.makeSucceededVoidFuture() }
        }
        return execute(sql: SQLSchemaConverter(delegate: SQLiteSchemaTypes()).convert(schema)) { _ in }
    }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> {
        eventLoop.makeSucceededVoidFuture()
    }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if pinned != nil { return closure(self) }
        return holding(inTransaction: false) { db, _ in closure(db).map(Carried.init) }.map(\.value)
    }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if inTransaction { return closure(self) }
        return holding(inTransaction: true) { db, _ in
            db.raw("BEGIN").run()
                .flatMap { closure(db).map(Carried.init) }
                .flatMap { result in db.raw("COMMIT").run().map { result } }
                .flatMapError { error in
                    // Rolled back the way every statement runs: never on an event loop.
                    db.raw("ROLLBACK").run().recover { _ in }.flatMapThrowing { throw error }
                }
        }.map(\.value)
    }

    /// Runs `body` on one connection held for it, given back when its future completes.
    private func holding<T>(
        inTransaction: Bool, _ body: @escaping @Sendable (SQLiteReadDatabase, SQLiteHandle) -> EventLoopFuture<Carried<T>>
    ) -> EventLoopFuture<Carried<T>> {
        let connections = self.connections
        let context = self.context
        return connections.checkout(on: eventLoop).flatMap { handle in
            let db = SQLiteReadDatabase(connections: connections, context: context, pinned: handle, inTransaction: inTransaction)
            return body(db, handle).always { _ in connections.giveBack(handle) }
        }
    }
}

/// Fluent's transaction results are not required to be Sendable; they only pass through here.
struct Carried<T>: @unchecked Sendable {
    let value: T
}

/// Whether the current thread is one of NIO's event loops (where nothing may wait for the disk).
enum MultiThreadedEventLoopGroupCheck {
    static var onEventLoop: Bool { MultiThreadedEventLoopGroup.currentEventLoop != nil }
}

/// Column types for Fluent's schema builder, as SQLite files made by earlier versions have them.
struct SQLiteSchemaTypes: SQLConverterDelegate {
    func customDataType(_ dataType: DatabaseSchema.DataType) -> (any SQLExpression)? {
        switch dataType {
        case .string, .enum: SQLRaw("TEXT")
        case .datetime: SQLRaw("REAL")
        case .int64: SQLRaw("INTEGER")
        default: nil
        }
    }
}

/// A SQL row as Fluent's output: `schema(_:)` prefixes column names the way Fluent aliases joins.
struct SQLRowOutput: DatabaseOutput {
    let row: any SQLRow
    let schema: String?

    var description: String { String(describing: row) }

    private func column(_ key: FieldKey) -> String {
        guard let schema else { return key.description }
        return schema + "_" + key.description
    }

    func schema(_ schema: String) -> any DatabaseOutput { SQLRowOutput(row: row, schema: schema) }
    func contains(_ key: FieldKey) -> Bool { row.contains(column: column(key)) }
    func decodeNil(_ key: FieldKey) throws -> Bool { try row.decodeNil(column: column(key)) }
    func decode<T: Decodable>(_ key: FieldKey, as type: T.Type) throws -> T { try row.decode(column: column(key), as: T.self) }
}

import FluentKit
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// A table's columns, each written once: its name, the model property it holds, and how it is
/// written and read. The same description builds the INSERT, the UPDATE and the SELECT, so a new
/// column is its migration plus one line here (`RowTableTests` fails when a model field or a
/// database column has no line).
///
/// Used for the tables every review and reply writes (products, customers, reviews, conversations,
/// messages, outbox): Fluent's model coding walks every property by reflection on each read and
/// write; a description costs a key path per column. Other models go through `sql.insert(model)`.
struct RowTable<Row: Model>: Sendable {
    let name: String
    let columns: [RowColumn<Row>]
    let columnNames: [String]
    private let texts = StatementTexts()

    init(_ columns: [RowColumn<Row>]) {
        self.name = Row.schema
        self.columns = columns
        self.columnNames = columns.map(\.name)
    }

    /// The INSERT, the full UPDATE and the SELECT list in the database's dialect, written once: built
    /// with SQLKit's builders on every call, their serialization was a tenth of a review's intake.
    func statements(for sql: any SQLDatabase) -> StatementTexts.Texts {
        texts.texts(dialect: sql.dialect.name) {
            var s = SQLSerializer(database: sql)
            func quoted(_ name: String) -> String {
                s.sql = ""
                SQLIdentifier(name).serialize(to: &s)
                return s.sql
            }
            func placeholder(_ i: Int) -> String {
                s.sql = ""
                sql.dialect.bindPlaceholder(at: i).serialize(to: &s)
                return s.sql
            }
            let table = quoted(name)
            let all = columns.map { quoted($0.name) }
            let changeable = columns.filter { !$0.fixed }
            let insert =
                "INSERT INTO \(table) (\(all.joined(separator: ", "))) VALUES ("
                + (1...columns.count).map(placeholder).joined(separator: ", ") + ")"
            let sets = changeable.enumerated().map { i, c in "\(quoted(c.name)) = \(placeholder(i + 1))" }
            let update = "UPDATE \(table) SET \(sets.joined(separator: ", ")) WHERE \(quoted("id")) = \(placeholder(changeable.count + 1))"
            return .init(insert: insert, update: update, selectList: all.joined(separator: ", "))
        }
    }

    /// A row read with `SELECT` of `columnNames`.
    func decode(_ sqlRow: any SQLRow) throws -> Row {
        let row = Row()
        for column in columns { try column.read(sqlRow, row) }
        return row
    }

    func columns(_ keyPaths: [PartialKeyPath<Row>]) -> [RowColumn<Row>] {
        columns.filter { keyPaths.contains($0.keyPath) }
    }
}

/// One column of a `RowTable`.
struct RowColumn<Row: Model>: Sendable {
    let name: String
    let keyPath: PartialKeyPath<Row> & Sendable
    /// Set once, when the row is inserted (an id, an owner, a creation time): never in an UPDATE.
    let fixed: Bool
    let value: @Sendable (Row) -> any Encodable & Sendable
    let read: @Sendable (any SQLRow, Row) throws -> Void

    // Columns name the model's property wrappers (`\.$name`), not its values: a value's setter
    // reads the field first, and a freshly made model has nothing to read. The column's name is the
    // field's own key. An unset field is written as NULL (the database refuses it for a required
    // column) rather than trapping.

    /// A required field the drivers bind and decode themselves (UUID, String, Int, Bool, Date).
    static func column<V: Codable & Sendable>(_ keyPath: KeyPath<Row, FieldProperty<Row, V>> & Sendable, fixed: Bool = false) -> RowColumn {
        let name = Row()[keyPath: keyPath].key.description
        return RowColumn(
            name: name, keyPath: keyPath, fixed: fixed,
            value: { $0[keyPath: keyPath].value },
            read: { sqlRow, row in row[keyPath: keyPath].value = try sqlRow.decode(column: name, as: V.self) })
    }

    /// An optional field.
    static func column<V: Codable & Sendable>(
        _ keyPath: KeyPath<Row, OptionalFieldProperty<Row, V>> & Sendable,
        fixed: Bool = false
    ) -> RowColumn {
        let name = Row()[keyPath: keyPath].key.description
        return RowColumn(
            name: name, keyPath: keyPath, fixed: fixed,
            value: { $0[keyPath: keyPath].value ?? nil },
            read: { sqlRow, row in row[keyPath: keyPath].value = .some(try sqlRow.decode(column: name, as: V?.self)) })
    }

    /// The row's id: always fixed.
    static func id(_ keyPath: KeyPath<Row, IDProperty<Row, UUID>> & Sendable) -> RowColumn {
        RowColumn(
            name: "id", keyPath: keyPath, fixed: true,
            value: { $0[keyPath: keyPath].value },
            read: { sqlRow, row in row[keyPath: keyPath].value = try sqlRow.decode(column: "id", as: UUID.self) })
    }

    /// A required enum field stored as its string (bound as text, never as JSON).
    static func text<V: RawRepresentable & Codable & Sendable>(
        _ keyPath: KeyPath<Row, FieldProperty<Row, V>> & Sendable,
        fixed: Bool = false
    ) -> RowColumn where V.RawValue == String {
        let name = Row()[keyPath: keyPath].key.description
        return RowColumn(
            name: name, keyPath: keyPath, fixed: fixed,
            value: { $0[keyPath: keyPath].value?.rawValue },
            read: { sqlRow, row in
                let raw = try sqlRow.decode(column: name, as: String.self)
                guard let v = V(rawValue: raw) else { throw StoredValueError(table: Row.schema, column: name, value: raw) }
                row[keyPath: keyPath].value = v
            })
    }
}

/// A table's statement texts per dialect (one or two entries: the installation's database).
final class StatementTexts: Sendable {
    struct Texts: Sendable {
        let insert: String
        let update: String
        let selectList: String
    }
    private let byDialect = NIOLockedValueBox<[String: Texts]>([:])

    func texts(dialect: String, make: () -> Texts) -> Texts {
        if let known = byDialect.withLockedValue({ $0[dialect] }) { return known }
        let made = make()
        byDialect.withLockedValue { $0[dialect] = made }
        return made
    }
}

/// A statement whose text is already written, with its values.
struct WrittenStatement: SQLExpression {
    let text: String
    let values: [any Encodable & Sendable]

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write(text)
        serializer.binds += values
    }
}

/// A stored value the code does not know (a status written by a newer version, say).
struct StoredValueError: Error, CustomStringConvertible {
    let table: String
    let column: String
    let value: String
    var description: String { "\(table).\(column) holds '\(value)', which this version does not know" }
}

extension SQLDatabase {
    /// Inserts every column of the row.
    func insert<Row: Model>(_ row: Row, into table: RowTable<Row>) async throws {
        let text = table.statements(for: self).insert
        try await execute(sql: WrittenStatement(text: text, values: table.columns.map { $0.value(row) })) { _ in }
        WriteEffects.noteWritten(row)
    }

    /// Writes the row's columns back: all but the fixed ones, or `only` those named (then another
    /// writer's change to the other columns, between this transaction's read and its write, is kept).
    func update<Row: Model>(_ row: Row, in table: RowTable<Row>, only: [PartialKeyPath<Row>]? = nil) async throws where Row.IDValue == UUID {
        guard let id = row.id else { throw StoredValueError(table: table.name, column: "id", value: "nil") }
        if let only {
            var builder = update(table.name)
            for column in table.columns(only) { builder = builder.set(SQLIdentifier(column.name), to: SQLBind(column.value(row))) }
            try await builder.where("id", .equal, SQLBind(id)).run()
        } else {
            let values = table.columns.filter { !$0.fixed }.map { $0.value(row) } + [id]
            try await execute(sql: WrittenStatement(text: table.statements(for: self).update, values: values)) { _ in }
        }
        WriteEffects.noteWritten(row)
    }

    /// The rows `filter` picks, every column read. `forUpdate`: rows a write reads in order to change
    /// them are locked until its commit (PostgreSQL; SQLite has one writer anyway), so a concurrent
    /// change to them (an erasure, another reply) waits rather than being undone by this write.
    func rows<Row: Model>(_ table: RowTable<Row>, forUpdate: Bool = false, _ filter: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> [Row] {
        var builder = filter(select().column(SQLRaw(table.statements(for: self).selectList)).from(table.name))
        if forUpdate { builder = builder.for(.update) }
        return try await builder.all().map(table.decode)
    }
}

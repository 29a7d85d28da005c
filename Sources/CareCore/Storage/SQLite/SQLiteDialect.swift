import CSQLite
import SQLKit

/// How SQLKit writes SQL for SQLite (3.35 or newer: RETURNING and UPSERT are used).
struct CareSQLiteDialect: SQLDialect {
    /// The name other code compares with ("postgresql" is the other one).
    var name: String { "sqlite" }
    var identifierQuote: any SQLExpression { SQLRaw("\"") }
    var literalStringQuote: any SQLExpression { SQLRaw("'") }
    func bindPlaceholder(at position: Int) -> any SQLExpression { SQLRaw("?\(position)") }
    func literalBoolean(_ value: Bool) -> any SQLExpression { SQLRaw(value ? "TRUE" : "FALSE") }
    var literalDefault: any SQLExpression { SQLLiteral.null }
    var supportsIfExists: Bool { true }
    var supportsDropBehavior: Bool { false }
    var supportsAutoIncrement: Bool { false }
    var autoIncrementClause: any SQLExpression { SQLRaw("AUTOINCREMENT") }
    var enumSyntax: SQLEnumSyntax { .unsupported }
    var triggerSyntax: SQLTriggerSyntax { .init(create: [.supportsBody, .supportsCondition, .supportsUpdateColumns], drop: []) }
    var alterTableSyntax: SQLAlterTableSyntax { .init(allowsBatch: false) }
    var upsertSyntax: SQLUpsertSyntax { .standard }
    var supportsReturning: Bool { true }
    var unionFeatures: SQLUnionFeatures { [.union, .unionAll, .intersect, .except] }

    func customDataType(for dataType: SQLDataType) -> (any SQLExpression)? {
        // SQLite's INTEGER is 64 bits (and an INTEGER PRIMARY KEY is the row id).
        if case .bigint = dataType { return SQLDataType.int }
        return nil
    }

    func nestedSubpathExpression(in column: any SQLExpression, for path: [String]) -> (any SQLExpression)? {
        guard !path.isEmpty else { return nil }
        return SQLFunction("json_extract", args: [column, SQLLiteral.string("$." + path.joined(separator: "."))])
    }

    /// The linked library must know RETURNING (3.35.0, March 2021).
    static var libraryIsRecentEnough: Bool { sqlite3_libversion_number() >= 3_035_000 }
}

/// The SQLite library CareLoop is linked with.
public enum SQLiteFile {
    public static var libraryIsRecentEnough: Bool { CareSQLiteDialect.libraryIsRecentEnough }
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}

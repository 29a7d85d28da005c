import FluentKit
import SQLKit

extension Database {
    /// The same database spoken as SQL. Both of CareLoop's backends (its own SQLite connections and
    /// Fluent's PostgreSQL driver) are SQL databases; anything else is a programming error.
    public var sql: any SQLDatabase {
        guard let sql = self as? any SQLDatabase else { fatalError("CareLoop runs on SQL databases only, not \(type(of: self))") }
        return sql
    }
}

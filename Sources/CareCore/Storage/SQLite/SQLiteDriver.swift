import FluentKit

/// Fluent's configuration for a SQLite file read through CareLoop's own connections.
struct SQLiteConfiguration: DatabaseConfiguration {
    var middleware: [any AnyModelMiddleware] = []
    let connections: SQLiteConnections

    func makeDriver(for databases: Databases) -> any DatabaseDriver { SQLiteDriver(connections: connections) }
}

struct SQLiteDriver: DatabaseDriver {
    let connections: SQLiteConnections

    func makeDatabase(with context: DatabaseContext) -> any Database {
        SQLiteReadDatabase(connections: connections, context: context, pinned: nil, inTransaction: false)
    }

    func shutdown() { connections.close() }
}

extension DatabaseConfigurationFactory {
    /// A SQLite file, read through `connections` (the application's, so tests and benchmarks can see them).
    public static func sqlite(_ connections: SQLiteConnections) -> Self {
        .init { SQLiteConfiguration(connections: connections) }
    }
}

extension DatabaseID {
    public static var sqlite: DatabaseID { .init(string: "sqlite") }
}

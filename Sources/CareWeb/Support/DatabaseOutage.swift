import CareCore
import FluentPostgresDriver
import NIOCore
import NIOPosix

/// Whether an error means the database cannot be reached or written for now (PostgreSQL restarting,
/// a connection lost, SQLite's disk full or busy), rather than a mistake in the request or the code.
/// Such a request is answered 503 with Retry-After: the client tries again, and every node
/// reconnects by itself (each query takes a fresh pooled connection).
enum DatabaseOutage {
    /// The PostgreSQL connection is gone or going (closed, or the server said it is shutting down):
    /// nothing more should be sent on it.
    @Sendable static func connectionLost(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError else { return error is ChannelError || error is IOError }
        switch e.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed: return true
        case .server:
            let state = e.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57P")
        default: return false
        }
    }

    /// PostgreSQL ended the transaction to let another go on (40P01 deadlock, 40001 serialization
    /// failure): running it again is the remedy.
    @Sendable static func gaveWay(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError, e.code == .server else { return false }
        let state = e.serverInfo?[.sqlState] ?? ""
        return state == "40P01" || state == "40001"
    }

    static func matches(_ error: any Error) -> Bool {
        switch error {
        case let e as PSQLError:
            switch e.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
                return true
            case .server:
                // Class 08 (connection exception), 57P0x (shutting down, cannot connect now), 53 (out of resources).
                let state = e.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53")
            default:
                return e.underlying.map(matches) ?? false
            }
        case is NIOConnectionError, is ChannelError, is IOError:
            return true
        case is CancellationError, is NIOThreadPoolError.ThreadPoolInactive:
            // Shutting down: the work was stopped, not refused.
            return true
        default:
            return StorageOutage.matches(error) || String(describing: type(of: error)).contains("ConnectionPool")
        }
    }
}

import NIOPosix
import Vapor

/// The threads inbound mail is read on: its own two, so reading a large mail never holds an event
/// loop, the cooperative pool, or the thread pool pages and files use. With `InboundMail`'s limits
/// and the inbound slots (2 per store, 4 in all), at most two mails are read at once and the rest
/// wait their turn; nothing else waits for them.
final class MailReaders: LifecycleHandler, Sendable {
    private let pool = NIOThreadPool(numberOfThreads: 2)

    init() { pool.start() }

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(work)
    }

    func shutdownAsync(_ app: Application) async { try? await pool.shutdownGracefully() }
}

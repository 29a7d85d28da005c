import NIOPosix

/// One thread for the rare slow, blocking things a person asks for (making an RSA key, asking DNS
/// whether a record is published): not the pool every SQLite commit runs on, not the cooperative
/// pool, not an event loop. Such work queues here and waits only for itself.
public enum SlowWork {
    private static let pool: NIOThreadPool = {
        let p = NIOThreadPool(numberOfThreads: 1)
        p.start()
        return p
    }()

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(work)
    }
}

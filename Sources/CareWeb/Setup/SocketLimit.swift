#if canImport(Glibc)
    import Glibc
#endif

/// Every connection is a file descriptor. The usual soft limit (1 024) is reached by a few hundred
/// slow clients and then nothing, `/healthz` included, can be accepted; the hard limit is what the
/// system allows this process, so take it (idle connections are closed after the idle timeout).
enum SocketLimit {
    static func raise() {
        #if canImport(Glibc)
            var limit = rlimit()
            guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        #endif
    }

    /// Connections the gate may relay: each costs three sockets (client, relay, server side), and
    /// a reserve stays for the database, outbound mail and webhooks.
    static func connectionBudget() -> Int {
        #if canImport(Glibc)
            var limit = rlimit()
            if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
                let sockets = Int(clamping: limit.rlim_cur)
                return min(100_000, max(64, (sockets - 512) / 3))
            }
        #endif
        return 10_000
    }
}

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
}

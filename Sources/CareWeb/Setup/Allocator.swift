import Foundation
import NIOCore

/// How the process's memory allocator is set up, before any other thread starts.
///
/// glibc gives threads that contend for the allocator arenas of their own, up to eight per core, and
/// memory freed in one arena is reused only by the threads on it. Under a steady load a node's resident
/// size therefore crept up, about 2 MiB a minute in the soak, while what it held stayed flat (heaptrack:
/// the live heap grew 1 MiB in four minutes). One arena for every four cores keeps what `ps` shows
/// close to what CareLoop uses (soak: +8 to +13 % after warm-up became +4.6 %, at the same request
/// rate on 2 cores). An operator's own `MALLOC_ARENA_MAX` (or `glibc.malloc.arena_max` tunable) wins.
public enum Allocator {
    public static func limitArenas(cores: Int = System.coreCount) {
        let env = ProcessInfo.processInfo.environment
        guard env["MALLOC_ARENA_MAX"] == nil, env["GLIBC_TUNABLES"]?.contains("glibc.malloc.arena_max") != true else { return }
        #if canImport(Glibc)
            // mallopt is looked up at run time: Swift's Glibc module leaves out malloc.h, and another
            // C library simply has none.
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
            let arenaMax: Int32 = -8 // M_ARENA_MAX in glibc's malloc.h
            _ = mallopt(arenaMax, Int32(max(1, min(cores / 4, 64))))
        #endif
    }
}

// The system's SQLite (Debian: libsqlite3-dev). CareLoop drives it directly: one copy of SQLite in
// the process, so every connection to a file shares its locks (two copies would corrupt the file).
#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call: one fixed-argument wrapper per setting used.
// Memory statistics off: otherwise every allocation takes a global mutex (Debian builds them in).
static inline int careloop_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

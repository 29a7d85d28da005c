// The system's SQLite (Debian: libsqlite3-dev). CareLoop drives it directly: one copy of SQLite in
// the process, so every connection to a file shares its locks (two copies would corrupt the file).
#include <sqlite3.h>

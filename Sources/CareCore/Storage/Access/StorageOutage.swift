/// SQLite errors that mean "not now" rather than "never": the disk is full, an I/O
/// error, the file busy, locked, unopenable or read-only. Writes answer 503; reads keep working.
public enum StorageOutage {
    // SQLite's primary result codes: BUSY 5, LOCKED 6, READONLY 8, INTERRUPT 9 (a long read stopped
    // because its request was cancelled), IOERR 10, FULL 13, CANTOPEN 14.
    static let transientCodes: Set<Int32> = [5, 6, 8, 9, 10, 13, 14]

    public static func matches(_ error: any Error) -> Bool {
        if error is StorageTimeout { return true }
        guard let e = error as? DirectSQLiteError else { return false }
        return transientCodes.contains(e.code & 0xFF)
    }

    /// SQLite answered BUSY or LOCKED: another connection holds the lock for now.
    public static func isBusy(_ error: any Error) -> Bool {
        guard let e = error as? DirectSQLiteError else { return false }
        return e.code & 0xFF == 5 || e.code & 0xFF == 6
    }
}

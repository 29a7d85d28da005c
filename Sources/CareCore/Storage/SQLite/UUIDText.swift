import Foundation

/// UUIDs as SQLite stores them: their 36-character text. Read and written here by hand, because
/// Foundation parses a UUID's text with `sscanf`, which was the largest single cost of decoding a
/// page of rows (every row carries four or five ids).
enum UUIDText {
    /// The UUID spelled by `text` (either case), or nil.
    static func parse(_ text: String) -> UUID? {
        var text = text
        return text.withUTF8 { u -> UUID? in
            guard u.count == 36, u[8] == 0x2D, u[13] == 0x2D, u[18] == 0x2D, u[23] == 0x2D else { return nil }
            var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var ok = true
            withUnsafeMutableBytes(of: &bytes) { out in
                var i = 0
                for n in 0..<16 {
                    if i == 8 || i == 13 || i == 18 || i == 23 { i += 1 }
                    guard let high = nibble(u[i]), let low = nibble(u[i + 1]) else {
                        ok = false
                        return
                    }
                    out[n] = high << 4 | low
                    i += 2
                }
            }
            return ok ? UUID(uuid: bytes) : nil
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}

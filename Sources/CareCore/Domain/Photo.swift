import Foundation

/// A photo a customer sends (or a store's logo): a JPEG or PNG, checked to be one and rewritten
/// without what it says about the person who took it (camera, place, time, comments). Only the
/// picture is kept: for a JPEG its JFIF header's fixed fields, the Adobe colour marker's, its tables
/// and image data (each table segment exactly as long as its tables, so nothing rides along) and an
/// orientation (so a phone's portrait photo stands upright); for a PNG its critical chunks and the
/// fixed-size colour chunks. Colour profiles go (they can carry any text): browsers draw the
/// picture in sRGB.
///
/// The walk is linear in the file's length and reads nothing past its end; nothing is decoded.
public struct Photo: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case jpeg = "image/jpeg"
        case png = "image/png"
    }

    public let kind: Kind
    public let bytes: [UInt8]
    public let width: Int
    public let height: Int

    /// Sides longer than this, or more pixels than `maxPixels`, are refused (a browser would have
    /// to decode a huge bitmap: 12 000 × 12 000 is 576 MB).
    public static let maxSide = 12_000
    /// A 48-megapixel phone photo fits.
    public static let maxPixels = 50_000_000

    public static func scrub(_ data: [UInt8]) throws -> Photo {
        if data.starts(with: [0xFF, 0xD8]) { return try jpeg(data) }
        if data.starts(with: pngSignature) { return try png(data) }
        throw CareError.invalid("photo", "send a JPEG or PNG photo")
    }

    private static func broken() -> CareError { CareError.invalid("photo", "this file is not a whole JPEG or PNG image") }

    private static func checkedSize(_ width: Int, _ height: Int) throws -> (Int, Int) {
        guard width > 0, height > 0 else { throw broken() }
        guard width <= maxSide, height <= maxSide, width * height <= maxPixels else {
            throw CareError.invalid("photo", "the photo is larger than \(maxPixels / 1_000_000) megapixels or \(maxSide) pixels on a side")
        }
        return (width, height)
    }

    // MARK: JPEG

    private static func be16(_ d: [UInt8], _ i: Int) -> Int { Int(d[i]) << 8 | Int(d[i + 1]) }

    private static func jpeg(_ d: [UInt8]) throws -> Photo {
        // The JFIF header first, then the orientation, then the rest, as readers expect.
        var head: [UInt8] = []
        var out: [UInt8] = []
        out.reserveCapacity(d.count)
        var i = 2
        var size: (Int, Int)?
        var orientation: UInt16?
        var scanned = false
        while true {
            guard i < d.count, d[i] == 0xFF else { throw broken() }
            while i < d.count, d[i] == 0xFF { i += 1 } // fill bytes
            guard i < d.count else { throw broken() }
            let marker = d[i]
            i += 1
            if marker == 0xD9 { // end of image: anything after it is dropped
                guard let (w, h) = size, scanned else { throw broken() }
                let exif = orientation.map { $0 == 1 ? [] : exifSegment(orientation: $0) } ?? []
                return Photo(kind: .jpeg, bytes: [0xFF, 0xD8] + head + exif + out + [0xFF, 0xD9], width: w, height: h)
            }
            if (0xD0...0xD7).contains(marker) || marker == 0x01 {
                out += [0xFF, marker]
                continue
            }
            guard i + 2 <= d.count else { throw broken() }
            let length = be16(d, i)
            guard length >= 2, i + length <= d.count else { throw broken() }
            let segment = d[(i - 2)..<(i + length)]
            let payload = d[(i + 2)..<(i + length)]
            i += length
            switch marker {
            case 0xE0:
                // The JFIF header alone (14 bytes), without the thumbnail it may carry.
                if head.isEmpty, payload.count >= 14, payload.starts(with: Array("JFIF\0".utf8)) {
                    head = [0xFF, 0xE0, 0x00, 0x10] + payload.prefix(12) + [0, 0]
                }
            case 0xE1:
                if orientation == nil, payload.starts(with: Array("Exif\0\0".utf8)) { orientation = exifOrientation(Array(payload.dropFirst(6))) }
            case 0xEE:
                // The Adobe colour marker's 12 bytes, nothing after them.
                if payload.count >= 12, payload.starts(with: Array("Adobe".utf8)) { out += [0xFF, 0xEE, 0x00, 0x0E] + payload.prefix(12) }
            case 0xE2...0xED, 0xEF, 0xFE, 0xF0...0xFD:
                break // colour profiles, other applications' data, comments, extensions
            case 0x02...0xBF:
                throw broken() // reserved: no JPEG uses them
            default:
                let p = Array(payload)
                guard tablesFill(marker, p) else { throw broken() }
                if [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF].contains(marker) {
                    size = try checkedSize(be16(p, 3), be16(p, 1))
                }
                out += segment
                if marker == 0xDA {
                    guard size != nil else { throw broken() }
                    scanned = true
                    // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart.
                    let start = i
                    while i + 1 < d.count, !(d[i] == 0xFF && d[i + 1] != 0x00 && !(0xD0...0xD7).contains(d[i + 1])) { i += 1 }
                    guard i + 1 < d.count else { throw broken() }
                    out += d[start..<i]
                }
            }
        }
    }

    /// Whether a kept segment's payload is exactly what its marker defines, byte for byte: frame and
    /// scan headers, quantisation and Huffman tables, restart intervals, arithmetic conditioning. A
    /// longer segment (bytes appended after the tables) or an unknown marker is refused.
    static func tablesFill(_ marker: UInt8, _ p: [UInt8]) -> Bool {
        switch marker {
        case 0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
            // precision, height, width, components, then 3 bytes a component
            return p.count >= 6 && p[5] > 0 && p.count == 6 + 3 * Int(p[5])
        case 0xDA:
            // components, 2 bytes a component, then 3 bytes of spectral selection and approximation
            return p.count >= 1 && p[0] > 0 && p.count == 1 + 2 * Int(p[0]) + 3
        case 0xDB:
            // tables of 1 + 64 values of 1 or 2 bytes, until the segment ends exactly
            var i = 0
            while i < p.count {
                let precision = p[i] >> 4
                guard precision <= 1 else { return false }
                i += 1 + 64 * (precision == 1 ? 2 : 1)
            }
            return i == p.count && !p.isEmpty
        case 0xC4:
            // tables of 1 + 16 counts, then as many values as the counts add up to
            var i = 0
            while i < p.count {
                guard i + 17 <= p.count else { return false }
                let values = p[(i + 1)..<(i + 17)].reduce(0) { $0 + Int($1) }
                i += 17 + values
            }
            return i == p.count && !p.isEmpty
        case 0xDD: return p.count == 2
        case 0xCC: return !p.isEmpty && p.count % 2 == 0
        default: return false
        }
    }

    /// The orientation tag (0x0112) of an Exif block's first directory, if it is there and sane.
    static func exifOrientation(_ t: [UInt8]) -> UInt16? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        if t.starts(with: [0x49, 0x49, 0x2A, 0x00]) {
            little = true
        } else if t.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            little = false
        } else {
            return nil
        }
        func u16(_ i: Int) -> Int { little ? Int(t[i]) | Int(t[i + 1]) << 8 : Int(t[i]) << 8 | Int(t[i + 1]) }
        func u32(_ i: Int) -> Int {
            little
                ? Int(t[i]) | Int(t[i + 1]) << 8 | Int(t[i + 2]) << 16 | Int(t[i + 3]) << 24
                : Int(t[i]) << 24 | Int(t[i + 1]) << 16 | Int(t[i + 2]) << 8 | Int(t[i + 3])
        }
        let ifd = u32(4)
        guard ifd >= 8, ifd <= t.count - 2 else { return nil }
        let entries = u16(ifd)
        for n in 0..<min(entries, 256) {
            let e = ifd + 2 + n * 12
            guard e + 12 <= t.count else { return nil }
            if u16(e) == 0x0112, u16(e + 2) == 3 {
                let value = u16(e + 8)
                return (1...8).contains(value) ? UInt16(value) : nil
            }
        }
        return nil
    }

    /// A minimal Exif block holding the orientation alone.
    static func exifSegment(orientation: UInt16) -> [UInt8] {
        let tiff: [UInt8] =
            [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8] // big-endian, first directory at 8
            + [0, 1] // one entry
            + [0x01, 0x12, 0, 3, 0, 0, 0, 1, UInt8(orientation >> 8), UInt8(orientation & 0xFF), 0, 0]
            + [0, 0, 0, 0] // no next directory
        let payload = Array("Exif\0\0".utf8) + tiff
        let length = payload.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    // MARK: PNG

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// Chunks a browser needs to draw the picture in its colours; text, time, Exif and unknown
    /// chunks are dropped.
    static let pngSizes: [String: Int] = ["gAMA": 4, "cHRM": 32, "sRGB": 1, "pHYs": 9]
    static let pngKept: Set<String> = ["IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "pHYs"]

    private static func png(_ d: [UInt8]) throws -> Photo {
        var out = pngSignature
        out.reserveCapacity(d.count)
        var i = pngSignature.count
        var size: (Int, Int)?
        var sawData = false
        var colourType: UInt8 = 0
        var paletteEntries = 0
        // tRNS is as long as its colour type says: a grey (2 bytes) or RGB (6) sample, or one byte
        // per palette entry at most; the types with their own alpha have none.
        func transparencyFits(_ length: Int) -> Bool {
            switch colourType {
            case 0: length == 2
            case 2: length == 6
            case 3: length >= 1 && length <= paletteEntries
            default: false
            }
        }
        while true {
            guard i + 8 <= d.count else { throw broken() }
            let length = Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3])
            let type = String(decoding: d[(i + 4)..<(i + 8)], as: UTF8.self)
            guard length <= d.count - i - 12 else { throw broken() }
            let end = i + 12 + length
            if size == nil {
                guard type == "IHDR", length == 13 else { throw broken() }
                let p = i + 8
                let w = Int(d[p]) << 24 | Int(d[p + 1]) << 16 | Int(d[p + 2]) << 8 | Int(d[p + 3])
                let h = Int(d[p + 4]) << 24 | Int(d[p + 5]) << 16 | Int(d[p + 6]) << 8 | Int(d[p + 7])
                size = try checkedSize(w, h)
                colourType = d[p + 9]
            }
            if type == "IDAT" { sawData = true }
            if type == "PLTE" { paletteEntries = length / 3 }
            // Kept chunks of a fixed size must be that size, so nothing rides along in them.
            if pngKept.contains(type), pngSizes[type].map({ $0 == length }) ?? true,
                type != "PLTE" || (length % 3 == 0 && length <= 768), type != "tRNS" || transparencyFits(length)
            {
                out += d[i..<end]
            }
            i = end
            if type == "IEND" {
                guard let (w, h) = size, sawData else { throw broken() }
                return Photo(kind: .png, bytes: out, width: w, height: h)
            }
        }
    }
}

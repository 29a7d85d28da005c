import Foundation
import XCTest

@testable import CareCore

/// A customer's photo keeps its picture and loses what it says about them.
final class PhotoTests: XCTestCase {
    func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/photos/\(name)")
        return Array(try Data(contentsOf: url))
    }

    func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    func testAPhonePhotoKeepsItsPictureAndOrientationAndLosesCameraOwnerPlaceAndComment() throws {
        // setup: a JPEG with Exif (camera, owner, orientation 6), XMP, a comment and junk after its end
        let original = try fixture("phone.jpg")
        XCTAssertTrue(contains(original, "SecretCam") && contains(original, "Elm Street"))
        // act
        let photo = try Photo.scrub(original)
        // check
        XCTAssertEqual(photo.kind, .jpeg)
        XCTAssertEqual(photo.width, 40)
        XCTAssertEqual(photo.height, 20)
        for secret in ["SecretCam", "Jane Customer", "Elm Street", "xmpmeta", "trailing junk"] {
            XCTAssertFalse(contains(photo.bytes, secret), secret)
        }
        XCTAssertTrue(photo.bytes.starts(with: [0xFF, 0xD8]))
        XCTAssertEqual(Array(photo.bytes.suffix(2)), [0xFF, 0xD9])
        XCTAssertTrue(contains(photo.bytes, "JFIF"))
        // the orientation survives in a block of its own, and scrubbing again changes nothing
        let exif = try XCTUnwrap(photo.bytes.firstRange(of: Array("Exif\0\0".utf8)))
        XCTAssertEqual(Photo.exifOrientation(Array(photo.bytes[exif.upperBound...])), 6)
        XCTAssertEqual(try Photo.scrub(photo.bytes), photo)
        XCTAssertLessThan(photo.bytes.count, original.count)
    }

    func testAPNGLosesItsTextChunks() throws {
        // setup
        let original = try fixture("note.png")
        XCTAssertTrue(contains(original, "Elm Street"))
        // act
        let photo = try Photo.scrub(original)
        // check
        XCTAssertEqual(photo.kind, .png)
        XCTAssertEqual([photo.width, photo.height], [30, 10])
        XCTAssertFalse(contains(photo.bytes, "Elm Street"))
        XCTAssertFalse(contains(photo.bytes, "Jane"))
        XCTAssertTrue(contains(photo.bytes, "IDAT") && contains(photo.bytes, "IEND"))
    }

    func testWhatIsNotAWholePhotoIsRefusedWithoutReadingPastItsEnd() throws {
        let jpeg = try fixture("phone.jpg")
        let png = try fixture("note.png")
        var cases: [(String, [UInt8])] = [
            ("empty", []), ("text", Array("hello".utf8)), ("gif", Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 20)),
            ("svg", Array("<svg xmlns='http://www.w3.org/2000/svg'/>".utf8)),
            ("jpeg start only", [0xFF, 0xD8]), ("jpeg no end", Array(jpeg.prefix(jpeg.count - 20))),
            ("png no end", Array(png.prefix(png.count - 12))), ("png signature only", Photo.pngSignature),
        ]
        // every truncation of both files, and a segment length pointing past the end
        for n in stride(from: 0, to: jpeg.count - 16, by: 7) { cases.append(("jpeg cut at \(n)", Array(jpeg.prefix(n)))) }
        for n in stride(from: 0, to: png.count - 12, by: 3) { cases.append(("png cut at \(n)", Array(png.prefix(n)))) }
        var longSegment = jpeg
        longSegment.replaceSubrange(2..<6, with: [0xFF, 0xE1, 0xFF, 0xFF])
        cases.append(("jpeg segment past the end", longSegment))
        // a frame that claims 65 535 × 65 535 pixels
        var huge = png
        huge.replaceSubrange(16..<24, with: [0, 0, 0xFF, 0xFF, 0, 0, 0xFF, 0xFF])
        cases.append(("png 65535 square", huge))
        for (name, bytes) in cases {
            XCTAssertThrowsError(try Photo.scrub(bytes), name) { error in
                XCTAssertEqual((error as? CareError)?.kind, .invalid, name)
            }
        }
    }

    func testNothingRidesAlongInTheKeptParts() throws {
        // setup: a JFIF header with a thumbnail of text, an Adobe marker with a tail, a PNG gamma chunk with a tail
        let jpeg = try fixture("phone.jpg")
        let thumb = Array(String(repeating: "THUMBSECRET", count: 3).utf8) // 11 × 1 pixels, RGB
        let jfif = Array("JFIF\0".utf8) + [1, 1, 0, 0, 1, 0, 1, 11, 1] + thumb
        let adobe = Array("Adobe".utf8) + [0, 100, 0, 0, 0, 0, 1] + Array("ADOBETAIL".utf8)
        func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [0xFF, marker, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        }
        let planted = [0xFF, 0xD8] + segment(0xE0, jfif) + segment(0xEE, adobe) + segment(0xF0, Array("EXTENSION".utf8)) + Array(jpeg.dropFirst(2))
        let png = try fixture("note.png")
        let gamma = [0, 0, 0, 16] + Array("gAMA".utf8) + [0, 0, 0xB1, 0x8F] + Array("ELMSTREET123".utf8).prefix(12) + [0, 0, 0, 0]
        let plantedPNG = Array(png.prefix(33)) + gamma + Array(png.dropFirst(33))

        // act
        let cleanJPEG = try Photo.scrub(planted)
        let cleanPNG = try Photo.scrub(plantedPNG)

        // check
        for secret in ["THUMBSECRET", "ADOBETAIL", "EXTENSION"] { XCTAssertFalse(contains(cleanJPEG.bytes, secret), secret) }
        XCTAssertTrue(contains(cleanJPEG.bytes, "JFIF") && contains(cleanJPEG.bytes, "Adobe"))
        XCTAssertFalse(contains(cleanPNG.bytes, "ELMSTREET"))
    }

    func testHugePicturesAndReservedMarkersAreRefused() throws {
        // a PNG of 8 000 × 8 000 (64 megapixels): each side allowed, the whole too big for a browser to draw
        var png = try fixture("note.png")
        png.replaceSubrange(16..<24, with: [0, 0, 0x1F, 0x40, 0, 0, 0x1F, 0x40])
        XCTAssertThrowsError(try Photo.scrub(png))
        // a JPEG with a reserved marker
        let jpeg = try fixture("phone.jpg")
        XCTAssertThrowsError(try Photo.scrub([0xFF, 0xD8, 0xFF, 0x02, 0x00, 0x04, 0, 0] + Array(jpeg.dropFirst(2))))
    }

    func testColourProfilesAndBytesAfterTheTablesGo() throws {
        // setup: an ICC profile segment carrying text, and a quantisation table segment with text after its table
        let jpeg = try fixture("phone.jpg")
        func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [0xFF, marker, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        }
        let icc = [0xFF, 0xD8] + segment(0xE2, Array("ICC_PROFILE\0".utf8) + [1, 1] + Array("SECRET-MARKER-1".utf8)) + Array(jpeg.dropFirst(2))
        let dqt = try XCTUnwrap(jpeg.firstRange(of: [0xFF, 0xDB]))
        let length = Int(jpeg[dqt.lowerBound + 2]) << 8 | Int(jpeg[dqt.lowerBound + 3])
        let tail = Array("SECRET-MARKER-2".utf8)
        var appended = jpeg
        appended.insert(contentsOf: tail, at: dqt.lowerBound + 2 + length)
        appended[dqt.lowerBound + 2] = UInt8((length + tail.count) >> 8)
        appended[dqt.lowerBound + 3] = UInt8((length + tail.count) & 0xFF)

        // act and check: the profile is dropped, a table segment longer than its tables refused
        let clean = try Photo.scrub(icc)
        XCTAssertFalse(contains(clean.bytes, "SECRET-MARKER-1"))
        XCTAssertFalse(contains(clean.bytes, "ICC_PROFILE"))
        XCTAssertThrowsError(try Photo.scrub(appended))
        XCTAssertNoThrow(try Photo.scrub(jpeg), "the untouched photo's tables fill their segments exactly")

        // a PNG's colour profile and background chunks go; a transparency chunk longer than its colour type allows goes
        let png = try fixture("note.png")
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            let crc = crc32(body)
            return [UInt8(data.count >> 24), UInt8((data.count >> 16) & 0xFF), UInt8((data.count >> 8) & 0xFF), UInt8(data.count & 0xFF)] + body
                + [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
        }
        let planted =
            Array(png.prefix(33)) + chunk("iCCP", Array("p\0\0SECRET-MARKER-3".utf8)) + chunk("bKGD", Array("SECRET-MARKER-4".utf8))
            + chunk("tRNS", Array("SECRET-MARKER-5".utf8)) + Array(png.dropFirst(33))
        let cleanPNG = try Photo.scrub(planted)
        for secret in ["SECRET-MARKER-3", "SECRET-MARKER-4", "SECRET-MARKER-5", "iCCP", "bKGD"] {
            XCTAssertFalse(contains(cleanPNG.bytes, secret), secret)
        }
    }

    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

import CareCore
import Foundation
import Vapor

/// A form is counted before it is decoded: the decoders' cost grows faster than the number of fields
/// (40 000 `z[]=` in 195 KB took 9 s of CPU; 25 MB of tiny multipart parts, hours). A form CareLoop
/// shows has a handful of fields (a bulk decision: a hundred ids) and at most three files, so
/// anything with more is refused at once, in time linear in the body.
enum FormParts {
    static let maxParts = 16
    static let maxFields = 300

    /// Throws 422 when the (collected) body is a multipart form of more than `maxParts` parts or a
    /// URL-encoded form of more than `maxFields` fields.
    static func check(_ req: Request, body read: ByteBuffer? = nil) throws {
        guard let type = req.headers.contentType, let body = read ?? req.body.data else { return }
        if type.type == "multipart", type.subType == "form-data" {
            guard let boundary = type.parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 200 else {
                throw CareError.invalid("form", "a multipart form needs its boundary")
            }
            // n parts take n + 1 delimiters (the last one closes the form).
            // Over the raw bytes: a byte-view subscript per byte took seconds on an 8 MB form in a debug build.
            let delimiter = Array(("--" + boundary).utf8)
            if body.withUnsafeReadableBytes({ count(of: delimiter, in: $0, stoppingAfter: maxParts + 1) }) > maxParts + 1 {
                throw CareError.invalid("form", "this form has more parts than any CareLoop form sends")
            }
        } else if type.type == "application", type.subType == "x-www-form-urlencoded" {
            if body.withUnsafeReadableBytes({ count(of: [UInt8(ascii: "&")], in: $0, stoppingAfter: maxFields) }) >= maxFields {
                throw CareError.invalid("form", "this form has more fields than any CareLoop form sends")
            }
        }
    }

    /// How many times `needle` occurs in `bytes`, counting no further than `limit + 1`.
    static func count<Bytes: Collection>(of needle: [UInt8], in bytes: Bytes, stoppingAfter limit: Int) -> Int
    where Bytes.Element == UInt8, Bytes.Index == Int {
        guard let first = needle.first, bytes.count >= needle.count else { return 0 }
        var n = 0
        var i = bytes.startIndex
        let end = bytes.endIndex - needle.count
        while i <= end {
            if bytes[i] == first, bytes[i..<(i + needle.count)].elementsEqual(needle) {
                n += 1
                if n > limit { return n }
                i += needle.count
            } else {
                i += 1
            }
        }
        return n
    }
}

/// Only the two forms that carry files take multipart bodies (a customer's reply with photos, the
/// store's logo); anywhere else one is refused before any decoder sees it.
struct MultipartOnlyForFiles: AsyncMiddleware {
    static func takesFiles(_ request: Request) -> Bool {
        guard request.method == .POST else { return false }
        let parts = request.url.path.split(separator: "/", omittingEmptySubsequences: false)
        // "/c/TOKEN" and "/app/settings/brand"
        return (parts.count == 3 && parts[1] == "c") || request.url.path == SitePath.settingsBrand.href
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let type = request.headers.contentType, type.type == "multipart", !Self.takesFiles(request) {
            throw Abort(.unsupportedMediaType, reason: "send a URL-encoded form or JSON here; files are not taken")
        }
        return try await next.respond(to: request)
    }
}

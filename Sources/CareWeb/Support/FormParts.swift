import CareCore
import Foundation
import Vapor

/// A multipart form is counted before it is decoded: the decoder's cost grows faster than the
/// number of parts, and 25 MB of tiny parts would hold a core for minutes. A form CareLoop shows has
/// a handful of fields and at most three files, so anything with more parts is refused at once.
enum FormParts {
    static let maxParts = 16

    /// Throws 422 when the body is a multipart form of more than `max` parts. Linear in the body.
    static func check(_ req: Request, max: Int = maxParts) throws {
        guard let type = req.headers.contentType, type.type == "multipart", type.subType == "form-data" else { return }
        guard let boundary = type.parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 200 else {
            throw CareError.invalid("form", "a multipart form needs its boundary")
        }
        guard let body = req.body.data else { return }
        if count(of: Array(("--" + boundary).utf8), in: body.readableBytesView, stoppingAfter: max + 1) > max + 1 {
            // `max` parts take `max + 1` delimiters (the last one closes the form).
            throw CareError.invalid("form", "this form has more parts than any CareLoop form sends")
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
        return (parts.count == 3 && parts[1] == "c") || request.url.path == "/app/settings/brand"
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let type = request.headers.contentType, type.type == "multipart", !Self.takesFiles(request) {
            throw Abort(.unsupportedMediaType, reason: "send a URL-encoded form or JSON here; files are not taken")
        }
        return try await next.respond(to: request)
    }
}

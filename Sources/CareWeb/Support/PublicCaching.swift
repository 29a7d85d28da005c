import Crypto
import Foundation
import Vapor

/// How public reads are answered so a CDN or the browser can serve most of the traffic: a strong
/// `ETag` (a hash of the exact bytes, the same on every node), `Cache-Control` allowing a short
/// shared cache, and `304 Not Modified` when the client already holds those bytes. Any origin may
/// read (the widget runs on the shop's own pages), never with credentials.
enum PublicCaching {
    /// Fresh for a minute; a cache may serve it stale for ten more while it checks again.
    static let cacheControl = "public, max-age=60, stale-while-revalidate=600"

    static func etag(_ body: Data) -> String {
        let digest = SHA256.hash(data: body)
        return "\""
            + Data(digest.prefix(18)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_") + "\""
    }

    static func response(_ req: Request, body: Data, contentType: String, status: HTTPResponseStatus = .ok) -> Response {
        let tag = etag(body)
        var headers: HTTPHeaders = [
            "ETag": tag, "Cache-Control": cacheControl, "Access-Control-Allow-Origin": "*", "Vary": "Accept-Encoding",
        ]
        if matches(req.headers[.ifNoneMatch], tag) {
            return Response(status: .notModified, headers: headers)
        }
        headers.add(name: .contentType, value: contentType)
        return Response(status: status, headers: headers, body: .init(data: body))
    }

    /// `If-None-Match`: `*`, or a list of tags (weak ones compare by their opaque part, RFC 9110 §13.1.2).
    static func matches(_ values: [String], _ tag: String) -> Bool {
        for value in values.prefix(8) where value.utf8.count <= 4_096 {
            for candidate in value.split(separator: ",").prefix(32) {
                var c = candidate.trimmingCharacters(in: .whitespaces)
                if c == "*" { return true }
                if c.hasPrefix("W/") { c.removeFirst(2) }
                if c == tag { return true }
            }
        }
        return false
    }
}

/// CORS for the public read and submit routes: a browser on any shop's page may call them, without
/// cookies or credentials (none is ever allowed). Preflights are answered here, before routing.
struct PublicCORS: AsyncMiddleware {
    static func isPublic(_ path: String) -> Bool {
        path.hasPrefix("/api/v1/public/") || path.hasPrefix("/embed/")
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard Self.isPublic(request.url.path) else { return try await next.respond(to: request) }
        if request.method == .OPTIONS {
            return Response(
                status: .noContent,
                headers: [
                    "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST",
                    "Access-Control-Allow-Headers": "Content-Type, If-None-Match", "Access-Control-Max-Age": "86400",
                ])
        }
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: "*")
        response.headers.remove(name: "Access-Control-Allow-Credentials")
        return response
    }
}

import Foundation
import Vapor

/// A stored image as a response: its checked type, never sniffed, never run as a page.
enum PhotoResponse {
    static func make(type: String, bytes: Data) -> Response {
        let response = Response(status: .ok, body: .init(data: bytes))
        response.headers.replaceOrAdd(name: .contentType, value: type == "image/png" ? "image/png" : "image/jpeg")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; sandbox")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "inline")
        // Private: it sits behind a signed link or a session.
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=3600")
        return response
    }
}

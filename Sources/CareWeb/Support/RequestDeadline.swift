import CareCore
import NIOConcurrencyHelpers
import Vapor

/// No request is held for ever: one that has no answer after `seconds` (a database connection caught
/// by a restart, say) is answered 503 with Retry-After, and the client, or the proxy, tries again.
/// The work itself is left to end by itself.
struct RequestDeadline: AsyncMiddleware {
    let seconds: Double
    /// A customer's reply with photos (`POST /c/…`, up to 25 MB) may come from a phone on a slow
    /// line: its upload gets this long; its size is bounded by the route.
    var uploadSeconds: Double = 120

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let seconds = request.method == .POST && request.url.path.hasPrefix("/c/") ? uploadSeconds : self.seconds
        let box = ResponseBox()
        try await Deadline.run(seconds: seconds, orThrow: { StorageTimeout(seconds: seconds) }) {
            box.set(try await next.respond(to: request))
        }
        guard let response = box.get() else { throw StorageTimeout(seconds: seconds) }
        return response
    }

    final class ResponseBox: @unchecked Sendable {
        private let lock = NIOLock()
        private var response: Response?
        func set(_ r: Response) { lock.withLock { response = r } }
        func get() -> Response? { lock.withLock { response } }
    }
}

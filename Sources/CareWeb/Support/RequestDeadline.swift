import CareCore
import NIOConcurrencyHelpers
import Vapor

/// No request is held for ever: one that has no answer after `seconds` (a database connection caught
/// by a restart, say) is answered 503 with Retry-After, and the client, or the proxy, tries again.
/// The work itself is left to end by itself.
struct RequestDeadline: AsyncMiddleware {
    let seconds: Double

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
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

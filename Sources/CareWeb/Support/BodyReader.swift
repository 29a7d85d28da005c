import NIOConcurrencyHelpers
import Vapor

/// Reads a streamed request body whole, at most `max` bytes and within `seconds` in all. A client
/// that trickles its body (a byte every few seconds keeps a connection from ever being idle) is
/// answered 408 when the time is up, and what it sends afterwards is dropped unread: the slot and
/// the memory its read took are free again at once, whatever the client does next.
enum BodyReader {
    static func collect(_ req: Request, max: Int, seconds: Int64) async throws -> ByteBuffer {
        let promise = req.eventLoop.makePromise(of: ByteBuffer.self)
        let state = NIOLockedValueBox<(buffer: ByteBuffer, done: Bool)>((ByteBuffer(), false))
        let timeout = req.eventLoop.scheduleTask(in: .seconds(seconds)) {
            if state.withLockedValue({ s -> Bool in
                defer {
                    s.done = true
                    // What was read goes now, not when the client hangs up.
                    s.buffer = ByteBuffer()
                }
                return !s.done
            }) {
                promise.fail(Abort(.requestTimeout, reason: "the body did not arrive within \(seconds) s"))
            }
        }
        let eventLoop = req.eventLoop
        let body = req.body
        // Registered on the request's own event loop, as Vapor's own collect does (vapor#2906): from
        // another thread the stream was read a small piece at a time (8 MB took 15 s).
        eventLoop.execute {
            body.drain { part in
                switch part {
                case .buffer(var chunk):
                    let refused = state.withLockedValue { s -> (any Error)? in
                        guard !s.done else { return nil }
                        guard s.buffer.readableBytes + chunk.readableBytes <= max else {
                            s.done = true
                            s.buffer = ByteBuffer()
                            return Abort(.payloadTooLarge)
                        }
                        s.buffer.writeBuffer(&chunk)
                        return nil
                    }
                    // Refused or late: the answer is on its way; what still comes is read and dropped (a failed
                    // future here would close the connection before the answer could be written).
                    if let refused { promise.fail(refused) }
                    return eventLoop.makeSucceededVoidFuture()
                case .error(let error):
                    if state.withLockedValue({ s -> Bool in
                        defer { s.done = true }
                        return !s.done
                    }) {
                        promise.fail(error)
                    }
                    return eventLoop.makeSucceededVoidFuture()
                case .end:
                    let whole = state.withLockedValue { s -> ByteBuffer? in
                        guard !s.done else { return nil }
                        s.done = true
                        return s.buffer
                    }
                    if let whole { promise.succeed(whole) }
                    return eventLoop.makeSucceededVoidFuture()
                }
            }
        }
        defer { timeout.cancel() }
        return try await promise.futureResult.get()
    }
}

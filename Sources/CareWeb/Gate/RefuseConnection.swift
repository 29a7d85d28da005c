import NIOCore

/// Answers a connection the gate will not relay with one short HTTP response, then closes it:
/// a client over its share learns why instead of seeing a silent reset.
final class RefuseConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let admission: ConnectionCounts.Admission

    init(_ admission: ConnectionCounts.Admission) {
        self.admission = admission
    }

    func channelActive(context: ChannelHandlerContext) {
        let (status, code, message) =
            switch admission {
            case .tooManyFromAddress:
                ("429 Too Many Requests", "too_many_connections", "too many open connections from your address; close some and retry")
            default: ("503 Service Unavailable", "server_full", "the server holds as many connections as it allows; retry shortly")
            }
        let body = #"{"error":{"code":"\#(code)","message":"\#(message)"}}"#
        let response =
            "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n\(body)"
        let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response)))
        written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Whatever the client sent is not read: it is being turned away.
    }
}

import NIOCore

/// One half of a byte relay between two channels on the same event loop: what one reads, the
/// other writes. Reading stops while the other side cannot take more (so a slow reader never
/// makes the relay buffer without bound), and either side closing closes both, the other only once
/// what it still has to write is written (or `drainTime` has passed: a reader that stops reading
/// cannot hold the socket).
final class RelayHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: RelayHandler?
    private var context: ChannelHandlerContext?
    private var readWaiting = false
    private var lastWrite: EventLoopFuture<Void>?
    private let drainTime: TimeAmount

    private init(drainTime: TimeAmount) {
        self.drainTime = drainTime
    }

    static func pair(drainTime: TimeAmount) -> (RelayHandler, RelayHandler) {
        let a = RelayHandler(drainTime: drainTime)
        let b = RelayHandler(drainTime: drainTime)
        a.partner = b
        b.partner = a
        return (a, b)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    // What the partner asks of this side.
    private var canTakeMore: Bool { context.map { $0.channel.isActive && $0.channel.isWritable } ?? false }
    private func write(_ data: NIOAny) {
        guard let context else { return }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.write(data, promise: written)
        lastWrite = written.futureResult
    }
    private func flush() { context?.flush() }
    private func closeOnceWritten() {
        guard let context else { return }
        let channel = context.channel
        context.flush()
        guard let lastWrite else { return channel.close(promise: nil) }
        // Writes complete in order: when the last is done, everything before it is too.
        let deadline = channel.eventLoop.scheduleTask(in: drainTime) { channel.close(promise: nil) }
        lastWrite.whenComplete { _ in
            deadline.cancel()
            channel.close(promise: nil)
        }
    }
    private func partnerCanTakeMore() {
        guard readWaiting, let context else { return }
        readWaiting = false
        context.read()
    }

    func channelActive(context: ChannelHandlerContext) {
        partner?.partnerCanTakeMore()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.write(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.closeOnceWritten()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerCanTakeMore() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if partner?.canTakeMore ?? false {
            context.read()
        } else {
            readWaiting = true
        }
    }
}

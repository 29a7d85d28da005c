import NIOCore

/// One half of a byte relay between two channels on the same event loop: what one reads, the
/// other writes. Reading stops while the other side cannot take more (so a slow reader never
/// makes the relay buffer without bound), and either side closing closes both.
final class RelayHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: RelayHandler?
    private var context: ChannelHandlerContext?
    private var readWaiting = false

    static func pair() -> (RelayHandler, RelayHandler) {
        let a = RelayHandler(), b = RelayHandler()
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
    private func write(_ data: NIOAny) { context?.write(data, promise: nil) }
    private func flush() { context?.flush() }
    private func close() { context?.close(promise: nil) }
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
        partner?.close()
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

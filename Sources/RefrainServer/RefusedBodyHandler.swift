import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Ends a connection after a response that refused its request's body unread (`Connection: close`: 503 for
/// a full server, 413 for a declared size over the limit, 415, 408), without reading the rest of that body.
///
/// Without it the server would read and throw away every byte of every refused upload before the next
/// request on the connection, spending on clients it has just turned away the very CPU the queries need.
/// The close is a lingering one (as web servers do it): the response is sent, the sending side is shut
/// (the client sees the answer and an end of stream), what the client still sends is dropped here, before
/// the request machinery, and the connection is closed when the client stops or after `linger`; an
/// immediate close would reset the connection and could lose the answer.
final class RefusedBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let linger: TimeAmount
    private var closeAfterResponse = false
    private var discarding = false

    init(linger: TimeAmount = .seconds(2)) { self.linger = linger }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if discarding { return }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterResponse else {
                context.write(data, promise: promise)
                return
            }
            closeAfterResponse = false
            discarding = true
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(data, promise: written)
            if let promise { written.futureResult.cascade(to: promise) }
            let channel = context.channel
            let linger = self.linger
            written.futureResult.whenComplete { _ in
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
            }
        }
    }
}

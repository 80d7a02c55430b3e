import Hummingbird
import NIOCore

/// The request context of the live view: Hummingbird's core storage plus the client's address,
/// which decides whether a token is needed.
struct LiveRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

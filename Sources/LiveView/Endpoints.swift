import HTTPTypes
import Hummingbird
import Synchronization

/// Registers the live view's routes on the router and remembers them in a `RouteTable`, so that
/// a request for a path that exists with another method gets 405 and the methods it allows, and
/// one for no route at all a JSON 404, instead of Hummingbird's empty 404. `HEAD` comes with
/// every `GET` (the router generates it).
struct Endpoints {
    let router: Router<LiveRequestContext>
    let table = RouteTable()

    func get<Output: ResponseGenerator>(
        _ path: String,
        _ handler: @escaping @Sendable (Request, LiveRequestContext) async throws -> Output
    ) {
        table.record(path, [.get, .head])
        router.get(RouterPath(path), use: handler)
    }

    func post<Output: ResponseGenerator>(
        _ path: String,
        _ handler: @escaping @Sendable (Request, LiveRequestContext) async throws -> Output
    ) {
        table.record(path, [.post])
        router.post(RouterPath(path), use: handler)
    }
}

/// The registered paths (`:name` segments match any one segment) and their methods.
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: Set<HTTPRequest.Method>)]>([])

    func record(_ path: String, _ methods: Set<HTTPRequest.Method>) {
        let segments = path.split(separator: "/")
        routes.withLock { routes in
            if let index = routes.firstIndex(where: { $0.segments == segments }) {
                routes[index].methods.formUnion(methods)
            } else {
                routes.append((segments, methods))
            }
        }
    }

    /// The methods the routes matching `path` (normalised, without query) allow; nil when none
    /// matches.
    func methods(for path: String) -> Set<HTTPRequest.Method>? {
        let segments = path.split(separator: "/")
        let matching = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == segments.count && zip(route.segments, segments).allSatisfy { $0.first == ":" || $0 == $1 }
            }
        }
        return matching.isEmpty ? nil : matching.reduce(into: Set()) { $0.formUnion($1.methods) }
    }
}

/// Answers requests no route takes: 405 with `Allow` for a known path, a JSON 404 otherwise.
struct EndpointMiddleware: RouterMiddleware {
    typealias Context = LiveRequestContext
    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let methods = table.methods(for: request.uri.path) else {
            throw APIError(.notFound, "no such endpoint: \(request.uri.path.prefix(200))")
        }
        guard methods.contains(request.method) else {
            let allowed = methods.map(\.rawValue).sorted().joined(separator: ", ")
            throw APIError(.methodNotAllowed, "\(request.method.rawValue) is not allowed here; use \(allowed)", headers: [.allow: allowed])
        }
        return try await next(request, context)
    }
}

import Foundation
import Hummingbird

/// `GET /` and its two assets: the one-page dashboard (HTML, JavaScript, CSS compiled into the
/// binary, no build step, nothing fetched from elsewhere).
struct DashboardRoutes: Sendable {
    /// The page and its assets: path, bytes, content type.
    private static let assets: [(path: String, bytes: [UInt8], type: String)] = [
        ("/", PackageResources.index_html, "text/html; charset=utf-8"),
        ("/assets/dashboard.js", PackageResources.dashboard_js, "text/javascript; charset=utf-8"),
        ("/assets/dashboard.css", PackageResources.dashboard_css, "text/css; charset=utf-8"),
    ]

    /// The exact paths served without a token: they hold no data.
    static let publicPaths = Set(assets.map(\.path))

    func register(on router: Endpoints) {
        for (path, bytes, type) in Self.assets {
            let data = Data(bytes)
            router.get(path) { _, _ in
                APIResponse.bytes(data, type: type, headers: [.cacheControl: "no-cache"])
            }
        }
    }
}

import Foundation
import Hummingbird

/// A request the live view refuses, answered as `{"error": {"status": N, "message": "..."}}`.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    let headers: HTTPFields

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    private struct Body: Encodable {
        struct Detail: Encodable {
            let status: Int
            let message: String
        }

        let error: Detail
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try APIResponse.json(Body(error: .init(status: status.code, message: message)), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

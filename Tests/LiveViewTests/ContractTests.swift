import Foundation
import Testing

/// The answers match `Docs/openapi.yaml`: every documented operation exists, and every JSON
/// object has only documented keys and all required ones.
@Suite struct ContractTests {
    /// Checks `object` against the schema at `schema` (a name, then nested property names).
    static func conforms(
        _ object: Any?, to schema: [String], in document: OpenAPIDocument,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let object = object as? [String: Any] else {
            Issue.record("\(schema) is not an object", sourceLocation: sourceLocation)
            return
        }
        guard let documented = document.schema(schema) else {
            Issue.record("\(schema) is not documented", sourceLocation: sourceLocation)
            return
        }
        let keys = Set(object.keys)
        #expect(keys.subtracting(documented.properties).isEmpty, "undocumented keys of \(schema)", sourceLocation: sourceLocation)
        #expect(documented.required.subtracting(keys).isEmpty, "missing required keys of \(schema)", sourceLocation: sourceLocation)
    }

    @Test("every documented operation is served")
    func operations() async throws {
        let fixture = try await LiveFixture.shared.value
        let document = try OpenAPIDocument()
        let id = try #require(try await WindowEndpointTests.explained(fixture).first?["id"] as? String)
        #expect(document.operations.count == 13)
        for (path, method) in document.operations {
            let target = path.replacingOccurrences(of: "{id}", with: id)
            if path == "/api/v1/events" {
                let stream = try await EventStream.open(port: fixture.port, target: target)
                stream.close()
                #expect(stream.response.status == 200)
            } else if method == "post" {
                let response = try await fixture.client.send("POST", target, headers: ["Content-Type": "text/plain"], body: Data("x".utf8))
                #expect(response.status == 415, "\(path)")
            } else {
                #expect(try await fixture.client.get(target).status == 200, "\(path)")
            }
        }
    }

    @Test("health, info, windows, uploads and errors have the documented shapes")
    func shapes() async throws {
        let fixture = try await LiveFixture.shared.value
        let document = try OpenAPIDocument()
        let client = fixture.client

        let health = try await client.get("/healthz").json()
        Self.conforms(health, to: ["Health"], in: document)
        Self.conforms(health["components"], to: ["Health", "components"], in: document)
        let components = health["components"] as? [String: Any] ?? [:]
        for (name, schema) in [
            ("source", "SourceHealth"), ("classifier", "ClassifierHealth"), ("explainer", "ExplainerHealth"),
            ("disk", "DiskHealth"),
        ] {
            Self.conforms(components[name], to: [schema], in: document)
        }

        let info = try await client.get("/api/v1/info").json()
        Self.conforms(info, to: ["Info"], in: document)
        for part in ["model", "gates", "explain", "limits"] { Self.conforms(info[part], to: ["Info", part], in: document) }

        let list = try await client.get("/api/v1/windows?limit=2000").json()
        Self.conforms(list, to: ["WindowList"], in: document)
        let windows = list["windows"] as? [[String: Any]] ?? []
        #expect(Set(windows.compactMap { $0["kind"] as? String }) == ["classified", "explained"])
        for window in windows {
            Self.conforms(window, to: ["Window"], in: document)
            if let links = window["links"] { Self.conforms(links, to: ["WindowLinks"], in: document) }
        }

        let upload = try await client.send(
            "POST", "/api/v1/explain", headers: ["Content-Type": "audio/wav"],
            body: try UploadTests.sample("audio/piano.wav")
        ).json()
        Self.conforms(upload, to: ["UploadResult"], in: document)
        for window in upload["windows"] as? [[String: Any]] ?? [] {
            Self.conforms(window, to: ["ExplainedUpload"], in: document)
            Self.conforms(window["document"], to: ["ExplanationDocument"], in: document)
        }

        let error = try await client.get("/api/v1/windows?limit=-1").json()
        Self.conforms(error, to: ["Error"], in: document)
        Self.conforms(error["error"], to: ["Error", "error"], in: document)
    }
}

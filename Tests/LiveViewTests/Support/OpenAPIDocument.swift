import Foundation

/// Just enough of `Docs/openapi.yaml` for the contract tests: its paths and methods, and the
/// properties and required keys of its schemas. Reads block mappings by indentation; lists and
/// block scalars are kept as opaque values.
struct OpenAPIDocument {
    indirect enum Node {
        case map([(key: String, value: Node)])
        case scalar(String)

        subscript(key: String) -> Node? {
            guard case let .map(entries) = self else { return nil }
            return entries.first { $0.key == key }?.value
        }

        var keys: [String] {
            guard case let .map(entries) = self else { return [] }
            return entries.map(\.key)
        }

        var text: String? {
            guard case let .scalar(text) = self else { return nil }
            return text
        }
    }

    static let url = LiveFixture.samples.deletingLastPathComponent().appendingPathComponent("Docs/openapi.yaml")

    let root: Node

    init() throws {
        let lines = try String(contentsOf: Self.url, encoding: .utf8).components(separatedBy: "\n")
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            .map { line in (indent: line.prefix { $0 == " " }.count, text: line.trimmingCharacters(in: .whitespaces)) }
        var index = 0
        root = .map(Self.mapping(lines, &index, indent: 0))
    }

    private static func mapping(_ lines: [(indent: Int, text: String)], _ index: inout Int, indent: Int) -> [(key: String, value: Node)] {
        var entries: [(key: String, value: Node)] = []
        while index < lines.count, lines[index].indent == indent, !lines[index].text.hasPrefix("- ") {
            let text = lines[index].text
            let split = text.range(of: ": ") ?? (text.hasSuffix(":") ? text.index(before: text.endIndex)..<text.endIndex : nil)
            guard let split else { break }
            let key = text[..<split.lowerBound].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            let rest = text[split.upperBound...].trimmingCharacters(in: .whitespaces)
            index += 1
            let childIndent = index < lines.count ? lines[index].indent : 0
            if (rest.isEmpty || rest == "|") && childIndent > indent {
                if rest.isEmpty && !lines[index].text.hasPrefix("- ") {
                    entries.append((key, .map(mapping(lines, &index, indent: childIndent))))
                } else {
                    while index < lines.count && lines[index].indent > indent { index += 1 }
                    entries.append((key, .scalar("...")))
                }
            } else {
                entries.append((key, .scalar(rest)))
            }
        }
        return entries
    }

    /// The documented paths and their methods.
    var operations: [(path: String, method: String)] {
        (root["paths"]?.keys ?? []).flatMap { path in
            (root["paths"]?[path]?.keys ?? []).filter { ["get", "post"].contains($0) }.map { (path, $0) }
        }
    }

    /// The properties and required keys of a schema, or of an object nested in it (`["Info", "model"]`).
    func schema(_ names: [String]) -> (properties: Set<String>, required: Set<String>)? {
        var node = root["components"]?["schemas"]?[names[0]]
        for name in names.dropFirst() { node = node?["properties"]?[name] }
        guard let node, let properties = node["properties"] else { return nil }
        let required = (node["required"]?.text ?? "[]").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return (Set(properties.keys), Set(required))
    }
}

import Foundation

/// A labelled set of inputs for `wam eval`: a folder with one subfolder per class, or a CSV of
/// `path,label` rows (paths relative to the CSV; a `path,label` header is allowed).
public struct LabelledSet: Sendable {
    public struct Example: Sendable {
        public let url: URL
        public let label: String
    }

    public let examples: [Example]

    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw WorkflowError(source: path, reason: "no such file or folder")
        }
        if isFolder.boolValue {
            let classes = try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: [.isDirectoryKey])
                .filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            examples = try classes.flatMap { folder in
                try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                    .filter { !$0.lastPathComponent.hasPrefix(".") }
                    .sorted { $0.lastPathComponent < $1.lastPathComponent }
                    .map { Example(url: $0, label: folder.lastPathComponent) }
            }
        } else {
            let text = try String(contentsOf: url, encoding: .utf8)
            var rows: [Example] = []
            for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                if number == 0 && fields.first?.lowercased() == "path" { continue }
                guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                    throw WorkflowError(source: "\(path):\(number + 1)", reason: "expected `path,label`, got '\(line)'")
                }
                rows.append(Example(url: URL(fileURLWithPath: fields[0], relativeTo: url.deletingLastPathComponent()).standardizedFileURL,
                                    label: fields[1]))
            }
            examples = rows
        }
        guard !examples.isEmpty else { throw WorkflowError(source: path, reason: "holds no labelled inputs") }
    }
}

import Foundation

/// A labelled set of inputs for `wam eval`: a folder with one subfolder per class, or a CSV of
/// `path,label` rows (paths relative to the CSV; a `path,label` header is allowed).
public struct LabelledSet: Sendable {
    public struct Example: Sendable {
        public let url: URL
        public let label: String
    }

    public let examples: [Example]
    /// The folder or CSV, as given.
    public let path: String

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
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw WorkflowError(source: path, reason: "cannot be read")
            }
            guard let text = String(data: bytes, encoding: .utf8) else {
                throw WorkflowError(source: path, reason: "is not UTF-8 text; expected a folder of class folders or a CSV of `path,label` rows")
            }
            var rows: [Example] = []
            for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                // A header: `path,label` (or `file,label`, extra columns ignored).
                if number == 0 && ["path", "file"].contains(fields.first?.lowercased()) && fields.dropFirst().first?.lowercased() == "label" {
                    continue
                }
                guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                    throw WorkflowError(source: "\(path):\(number + 1)", reason: "expected `path,label`, got '\(line)'")
                }
                rows.append(
                    Example(
                        url: URL(fileURLWithPath: fields[0], relativeTo: url.deletingLastPathComponent()).standardizedFileURL,
                        label: fields[1]))
            }
            examples = rows
        }
        guard !examples.isEmpty else { throw WorkflowError(source: path, reason: "holds no labelled inputs") }
        self.path = path
    }

    /// Throws unless every label is one of `classes` (the model's), naming the first that is not.
    public func check(classes: [String]) throws(WorkflowError) {
        let known = Set(classes)
        guard let stranger = examples.first(where: { !known.contains($0.label) }) else { return }
        throw WorkflowError(
            source: path,
            reason: "the label '\(stranger.label)' of \(stranger.url.lastPathComponent) is not a class of the "
                + "model; its classes are " + classes.joined(separator: ", "))
    }
}

extension LabelledSet {
    /// `examples` taken one class at a time in turn (classes by name), each class in its order.
    public static func interleaved(_ examples: [Example]) -> [Example] {
        var byClass = Dictionary(grouping: examples, by: \.label).sorted { $0.key < $1.key }.map { $0.value[...] }
        var result: [Example] = []
        while byClass.contains(where: { !$0.isEmpty }) {
            for index in byClass.indices {
                if let next = byClass[index].popFirst() { result.append(next) }
            }
        }
        return result
    }
}

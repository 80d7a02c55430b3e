import Foundation
import FuzzTargets
import Testing

/// Replays every committed crasher (`Crashers/<target>/<file>`) through the fuzz target that
/// found it. A crasher that crashes again takes the whole test process down, which fails
/// `swift test`; the line printed before each run names the file (serialized, so the last one
/// printed is the culprit).
@Suite(.serialized) struct FuzzRegressionTests {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Crashers")

    /// `(target, file)` for every crasher, sorted.
    static let crashers: [Crasher] = {
        let targets = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return targets.filter { !isNote($0) }.sorted().flatMap { target in
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(target).path)) ?? []
            return files.filter { !isNote($0) }.sorted().map { Crasher(target: target, file: $0) }
        }
    }()

    struct Crasher: CustomTestStringConvertible, Sendable {
        let target: String
        let file: String
        var testDescription: String { "\(target)/\(file)" }
    }

    private static func isNote(_ name: String) -> Bool { name.hasPrefix(".") || name.hasSuffix(".md") }

    @Test("every crasher folder is named after a fuzz target")
    func foldersNameTargets() {
        let known = Set(FuzzTargets.all.map(\.name))
        for target in Set(Self.crashers.map(\.target)) {
            #expect(known.contains(target), "Crashers/\(target) is not a fuzz target; targets are \(known.sorted())")
        }
    }

    @Test("fixed crashes stay fixed", arguments: crashers)
    func replay(_ crasher: Crasher) throws {
        let run = try #require(FuzzTargets.named(crasher.target))
        let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(crasher.target).appendingPathComponent(crasher.file)))
        FileHandle.standardError.write(Data("FuzzRegressionTests: replaying \(crasher.target)/\(crasher.file)\n".utf8))
        run(bytes)
    }
}

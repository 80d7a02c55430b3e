import AtomicFiles
import Foundation
import Testing

/// Write-then-rename: the target holds the old or the new contents, never a part, and no
/// temporary file is left behind.
struct AtomicFileTests {
    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func replacesTheTargetAndLeavesNoTemporaryFile() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("a.json")
        try AtomicFile.write(Data("old".utf8), to: target)
        try AtomicFile.write(Data("new".utf8), to: target)
        #expect(try String(contentsOf: target, encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["a.json"])
        let temporary = AtomicFile.temporary(beside: target)
        #expect(temporary.deletingLastPathComponent().standardizedFileURL.path == folder.standardizedFileURL.path)
        #expect(temporary.lastPathComponent.hasPrefix(".a.json.") && temporary.lastPathComponent.hasSuffix(".tmp"))
    }

    @Test func failuresNameTheFileAndKeepTheOldContents() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A directory cannot be replaced by a file: the rename fails.
        let target = folder.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: target.appendingPathComponent("inside"), withIntermediateDirectories: true)
        do {
            try AtomicFile.write(Data("x".utf8), to: target)
            Issue.record("writing over a non-empty directory succeeded")
        } catch {
            #expect(error.file == target.path)
            #expect(error.reason.hasPrefix("cannot move the finished file into place"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["taken"])
        // A missing folder: the write itself fails.
        let nowhere = folder.appendingPathComponent("missing/b.json")
        #expect(throws: AtomicFileError.self) { try AtomicFile.write(Data("x".utf8), to: nowhere) }
    }
}

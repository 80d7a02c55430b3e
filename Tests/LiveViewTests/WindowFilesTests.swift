import Daemon
import Foundation
import Testing

@testable import LiveView

@Suite struct WindowFilesTests {
    /// An output folder with one explanation, a file outside it, and symbolic links pointing out.
    final class Folder {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("wam-windowfiles-\(UUID().uuidString)")
        var root: URL { base.appendingPathComponent("out") }

        init() throws {
            let day = root.appendingPathComponent("file-a.wav/2025-01-31")
            try FileManager.default.createDirectory(at: day, withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: day.appendingPathComponent("120000.000_yes_0.90.json"))
            try Data("RIFF".utf8).write(to: day.appendingPathComponent("120000.000_yes_0.90_input.wav"))
            let outside = base.appendingPathComponent("secret")
            try FileManager.default.createDirectory(at: outside.appendingPathComponent("2025-01-31"), withIntermediateDirectories: true)
            try Data("secret".utf8).write(to: outside.appendingPathComponent("2025-01-31/key.json"))
            try Data("secret".utf8).write(to: base.appendingPathComponent("passwd.json"))
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("escape"), withDestinationURL: outside)
            try FileManager.default.createSymbolicLink(
                at: day.appendingPathComponent("link.json"),
                withDestinationURL: base.appendingPathComponent("passwd.json"))
            try FileManager.default.createDirectory(at: day.appendingPathComponent("folder.json"), withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: base) }
    }

    @Test("ids name files strictly inside the output folder")
    func resolve() throws {
        let folder = try Folder()
        let files = WindowFiles(root: folder.root)
        let document = try files.file("file-a.wav~2025-01-31~120000.000_yes_0.90", .document)
        #expect(document.lastPathComponent == "120000.000_yes_0.90.json")
        #expect(files.has("file-a.wav~2025-01-31~120000.000_yes_0.90", .input))
        #expect(!files.has("file-a.wav~2025-01-31~120000.000_yes_0.90", .interpretation))
    }

    @Test("symbolic links out of the output folder, and folders, are not served")
    func escapes() throws {
        let folder = try Folder()
        let files = WindowFiles(root: folder.root)
        for id in ["escape~2025-01-31~key", "file-a.wav~2025-01-31~link", "file-a.wav~2025-01-31~folder"] {
            #expect(throws: APIError.self) { try files.file(id, .document) }
            #expect((try? files.file(id, .document)) == nil)
            do {
                _ = try files.file(id, .document)
            } catch {
                #expect(error.status == .notFound, "\(id)")
            }
        }
    }

    @Test(
        "malformed ids are refused before any file is looked at",
        arguments: [
            "", "a", "a~b", "a~2025-01-31", "a~2025-01-31~b~c", "..~2025-01-31~x", "a~2025-01-31~..", ".hidden~2025-01-31~x",
            "a~2025-01-31~.tmp", "a/b~2025-01-31~c", "a~2025-01-31~b/../../c", "/etc~2025-01-31~passwd", "a~2025-1-31~b",
            "a~2025-01-3x~b", "a~2025-01-31~b%2f..", "a~2025-01-31~b\0", "a b~2025-01-31~c", "ä~2025-01-31~c", "a~2025-01-31~b\\c",
        ])
    func malformed(_ id: String) throws {
        let folder = try Folder()
        #expect(WindowID.components(of: id) == nil)
        do {
            _ = try WindowFiles(root: folder.root).file(id, .document)
            Issue.record("\(id) was accepted")
        } catch {
            #expect(error.status == .badRequest)
        }
    }

    @Test("document paths of events become ids, and back")
    func ids() {
        #expect(WindowID.of(document: "file-a.wav/2025-01-31/120000.000_yes_0.90.json") == "file-a.wav~2025-01-31~120000.000_yes_0.90")
        #expect(WindowID.of(document: "../2025-01-31/x.json") == nil)
        #expect(WindowID.of(document: "a/2025-01-31/x.wav") == nil)
        #expect(WindowID.of(document: "a/b/2025-01-31/x.json") == nil)
    }
}

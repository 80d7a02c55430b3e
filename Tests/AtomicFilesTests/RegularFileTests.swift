import AtomicFiles
import Foundation
import Testing

/// Input files named by a user: regular files only, of a bounded size, and a FIFO refused
/// without blocking.
struct RegularFileTests {
    @Test func readsARegularFileAndFollowsLinks() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("regular-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("a.txt")
        try Data("hello".utf8).write(to: file)
        let link = folder.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: file)
        #expect(try RegularFile.read(link.path, atMost: 5) == Data("hello".utf8))
        #expect(try RegularFile.check(file.path, atMost: 5) == 5)
        #expect(throws: RegularFileProblem.tooLarge(limit: 4)) { try RegularFile.read(file.path, atMost: 4) }
        #expect(throws: RegularFileProblem.tooLarge(limit: 4)) { try RegularFile.check(file.path, atMost: 4) }
        #expect(throws: RegularFileProblem.notRegularFile) { try RegularFile.read(folder.path, atMost: 1 << 20) }
        #expect(throws: RegularFileProblem.unreadable("No such file or directory")) {
            try RegularFile.read(folder.appendingPathComponent("none").path, atMost: 10)
        }
        let fifo = folder.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        // No writer ever opens the FIFO: a blocking open or read would hang the test.
        #expect(throws: RegularFileProblem.notRegularFile) { try RegularFile.read(fifo.path, atMost: 10) }
        #expect(throws: RegularFileProblem.notRegularFile) { try RegularFile.check(fifo.path, atMost: 10) }
        #expect(RegularFileProblem.tooLarge(limit: 16 << 20).description == "is larger than 16 MiB")
    }
}

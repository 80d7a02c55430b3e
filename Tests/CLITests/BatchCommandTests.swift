import DaemonTestSupport
import Foundation
import Synchronization
import Testing

/// `wam batch`: shards that merge to what one process writes, resumption that redoes only what
/// is not complete, and refusals of shards that do not belong together.
@Suite struct BatchCommandTests {
    static func batch(_ arguments: [String], environment: [String: String] = [:]) throws -> WamProcess.Result {
        try WamProcess.run(["batch"] + arguments + ["--steps", "4", "--no-picture"], environment: environment)
    }

    /// A manifest of four samples and one missing file.
    static func manifest(in folder: TemporaryFolder) throws -> String {
        let lines = ["piano", "stop", "drums", "chirp"].map { ExplainCommandTests.sample("audio/\($0).wav") } + [folder.path("missing.wav")]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: folder.url.appendingPathComponent("inputs.txt"))
        return folder.path("inputs.txt")
    }

    /// Every file under `folder` by relative path, documents without their timing.
    static func contents(of folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let root = URL(fileURLWithPath: folder)
        for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)! {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            var data = try Data(contentsOf: url)
            if url.pathExtension == "json" || url.pathExtension == "jsonl" {
                let text = String(decoding: data, as: UTF8.self)
                data = Data(text.replacing(/"seconds" ?: ?[0-9.e+-]+/, with: "\"seconds\":0").utf8)
            }
            files[String(url.path.dropFirst(root.path.count))] = data
        }
        return files
    }

    @Test("three shards, one of them with --jobs 2, merge to what one process writes, byte for byte")
    func shardsMergeToOneRun() throws {
        let folder = try TemporaryFolder()
        let manifest = try Self.manifest(in: folder)
        let single = try Self.batch(["--manifest", manifest, "--out", folder.path("one")])
        #expect(single.status == 1, "one input is missing: \(single.error)")
        #expect(single.output.contains("shard 0 of 1: 4 explained, 0 complete before, 1 failed"))
        #expect(single.error.contains("failed: \(folder.path("missing.wav")): cannot be read (No such file or directory)"))
        var failures = 0
        for index in 0..<3 {
            let shard = try Self.batch(
                ["--manifest", manifest, "--out", folder.path("three")] + (index == 1 ? ["--jobs", "2"] : []),
                environment: ["JOB_COMPLETION_INDEX": "\(index)", "WAM_SHARD_COUNT": "3"])
            #expect(shard.status == 0 || shard.status == 1, "\(shard.error)")
            #expect(shard.output.contains("shard \(index) of 3 (Kubernetes Indexed Job)"))
            failures += Int(shard.status)
        }
        #expect(failures == 1)
        for out in ["one", "three"] {
            let merged = try WamProcess.run(["batch", "merge", folder.path(out)])
            #expect(merged.status == 0, "\(merged.error)")
            #expect(merged.output.contains("4 inputs explained, 1 failed, 4 windows"))
        }
        let one = try Self.contents(of: folder.path("one/results")), three = try Self.contents(of: folder.path("three/results"))
        #expect(one.count == 4 * 4 && Set(one.keys) == Set(three.keys))
        // result.json names the shard that made it: the rest must be equal.
        for (name, data) in one where !name.hasSuffix("result.json") { #expect(three[name] == data, "\(name)") }
        for name in ["results.csv", "profiles.json", "failures.txt"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: folder.path("one/merged/\(name)")))
            let b = try Data(contentsOf: URL(fileURLWithPath: folder.path("three/merged/\(name)")))
            #expect(a == b, "\(name)")
        }
        let csv = try String(contentsOfFile: folder.path("one/merged/results.csv"), encoding: .utf8)
        #expect(
            csv.hasPrefix(
                "input,status,windows,skipped_windows,classes,result,error\n\(ExplainCommandTests.sample("audio/piano.wav")),explained,1,0,piano=1,results/piano-"
            ))
        #expect(try String(contentsOfFile: folder.path("one/merged/failures.txt"), encoding: .utf8).hasPrefix(folder.path("missing.wav")))
    }

    @Test("a rerun skips complete inputs, redoes a partial one and leaves no partial behind")
    func rerunsRedoOnlyWhatIsNotComplete() throws {
        let folder = try TemporaryFolder()
        let manifest = try Self.manifest(in: folder)
        let out = folder.path("out")
        _ = try Self.batch(["--manifest", manifest, "--out", out])
        let results = try FileManager.default.contentsOfDirectory(atPath: folder.path("out/results")).sorted()
        #expect(results.count == 4)
        let kept = folder.path("out/results/\(results[1])/result.json")
        let before = try FileManager.default.attributesOfItem(atPath: kept)[.modificationDate] as? Date
        // What a kill leaves: one input's folder still partial, half written.
        try FileManager.default.moveItem(atPath: folder.path("out/results/\(results[0])"), toPath: folder.path("out/.partial/\(results[0])"))
        try FileManager.default.removeItem(atPath: folder.path("out/.partial/\(results[0])/result.json"))
        try Data("half".utf8).write(to: URL(fileURLWithPath: folder.path("out/.partial/\(results[0])/stray.json")))
        let rerun = try Self.batch(["--manifest", manifest, "--out", out])
        #expect(rerun.output.contains("shard 0 of 1: 1 explained, 3 complete before, 1 failed"), "\(rerun.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("out/results")).sorted() == results)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("out/.partial")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.path("out/results/\(results[0])/stray.json")))
        #expect(try FileManager.default.attributesOfItem(atPath: kept)[.modificationDate] as? Date == before)
        let rows = try String(contentsOfFile: folder.path("out/shards/shard-0-of-1.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 5 && rows.filter { $0.contains("\"reused\":true") }.count == 3)
        #expect(rows.allSatisfy { $0.contains("\"classes\"") || $0.contains("\"failed\"") })
    }

    @Test("shards that do not belong together, a shard run twice at once and incomplete merges are refused")
    func refusals() throws {
        let folder = try TemporaryFolder()
        let manifest = try Self.manifest(in: folder)
        let out = folder.path("out")
        let first = try Self.batch(["--manifest", manifest, "--out", out, "--shard-index", "0", "--shard-count", "2"])
        #expect(first.status <= 1, "\(first.error)")
        let steps = try WamProcess.run(["batch", "--manifest", manifest, "--out", out, "--shard-index", "1", "--shard-count", "2", "--steps", "8"])
        #expect(steps.status == 101 && steps.error.contains("steps 4 (this is 8)"), "\(steps.error)")
        let count = try Self.batch(["--manifest", manifest, "--out", out, "--shard-index", "1", "--shard-count", "3"])
        #expect(count.error.contains("2 shards (this is 3)"), "\(count.error)")
        try Data((try String(contentsOfFile: manifest, encoding: .utf8) + ExplainCommandTests.sample("audio/violin.wav") + "\n").utf8)
            .write(to: URL(fileURLWithPath: manifest))
        let grown = try Self.batch(["--manifest", manifest, "--out", out, "--shard-index", "1", "--shard-count", "2"])
        #expect(grown.error.contains("5 inputs (this is 6)"), "\(grown.error)")
        let early = try WamProcess.run(["batch", "merge", out])
        #expect(early.status != 0 && early.error.contains("shard(s) 1 of 2 have not finished"), "\(early.error)")

        // The same shard twice at once: the second finds the first's lock.
        let lockFile = folder.path("out/shards/shard-0-of-2.lock")
        let held = open(lockFile, O_RDWR)
        #expect(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0)
        try Data(try String(contentsOfFile: manifest, encoding: .utf8).split(separator: "\n").dropLast().joined(separator: "\n").utf8)
            .write(to: URL(fileURLWithPath: manifest))
        let twice = try Self.batch(["--manifest", manifest, "--out", out, "--shard-index", "0", "--shard-count", "2"])
        #expect(twice.status == 101 && twice.error.contains("shard 0 of 2 (--shard-index) is being run by another process"), "\(twice.error)")
        close(held)

        let file = folder.path("a-file")
        try Data().write(to: URL(fileURLWithPath: file))
        let onFile = try Self.batch(["--manifest", manifest, "--out", file])
        #expect(onFile.status == 101 && onFile.error.contains("\(file): is a file; --out must be a folder"), "\(onFile.error)")

        let second = try Self.batch(["--manifest", manifest, "--out", out, "--shard-index", "1", "--shard-count", "2"])
        #expect(second.status <= 1, "\(second.error)")
        let shardFile = folder.path("out/shards/shard-1-of-2.jsonl")
        try Data((try String(contentsOfFile: shardFile, encoding: .utf8) + "{\"order\": 1, tru").utf8).write(to: URL(fileURLWithPath: shardFile))
        let corrupt = try WamProcess.run(["batch", "merge", out])
        #expect(corrupt.status != 0 && corrupt.error.contains("shard-1-of-2.jsonl:"), "\(corrupt.error)")
        #expect(corrupt.error.contains("is not a row wam batch writes"))
    }

    @Test("hostile inputs and folders: a FIFO fails alone, --out inside --data is left out, foreign or empty --out refused, a damaged result redone")
    func hostileInputsAndFolders() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path("data"), withIntermediateDirectories: true)
        for clip in ["piano", "stop"] {
            try FileManager.default.copyItem(atPath: ExplainCommandTests.sample("audio/\(clip).wav"), toPath: folder.path("data/\(clip).wav"))
        }
        // A FIFO in a manifest blocked the planning of every shard (its header was read).
        #expect(mkfifo(folder.path("fifo.wav"), 0o600) == 0)
        try Data("data/piano.wav\nfifo.wav\n".utf8).write(to: URL(fileURLWithPath: folder.path("list.txt")))
        let fifo = try Self.batch(["--manifest", folder.path("list.txt"), "--out", folder.path("fifo-out")])
        #expect(fifo.status == 1 && fifo.error.contains("fifo.wav: is not a regular file"), "\(fifo.error)")

        // --out inside --data: the second shard saw the first's WAVs as inputs and was refused.
        for index in 0..<2 {
            let shard = try Self.batch([
                "--data", folder.path("data"), "--out", folder.path("data/out"), "--shard-index", "\(index)", "--shard-count", "2",
            ])
            #expect(shard.status == 0 && shard.output.contains("wam batch: 2 inputs"), "\(shard.error)")
        }

        // A folder of other files, and an empty --out, are not taken for output folders.
        let foreign = try Self.batch(["--data", folder.path("data"), "--out", folder.path("data")])
        #expect(foreign.status == 101 && foreign.error.contains("holds files a batch did not write (out"), "\(foreign.error)")
        let empty = try Self.batch(["--data", folder.path("data"), "--out", ""])
        #expect(empty.status == 101 && empty.error.contains("--out: is empty"), "\(empty.error)")

        // A result folder whose result.json was deleted: redone and put back, not reported done.
        let results = try FileManager.default.contentsOfDirectory(atPath: folder.path("data/out/results")).sorted()
        try FileManager.default.removeItem(atPath: folder.path("data/out/results/\(results[0])/result.json"))
        let repair = try Self.batch(["--data", folder.path("data"), "--out", folder.path("data/out"), "--shard-index", "0", "--shard-count", "2"])
        let again = try Self.batch(["--data", folder.path("data"), "--out", folder.path("data/out"), "--shard-index", "1", "--shard-count", "2"])
        #expect(repair.status == 0 && again.status == 0)
        #expect(repair.output.contains("1 explained") || again.output.contains("1 explained"))
        #expect(FileManager.default.fileExists(atPath: folder.path("data/out/results/\(results[0])/result.json")))
        let merged = try WamProcess.run(["batch", "merge", folder.path("data/out")])
        #expect(merged.status == 0, "\(merged.error)")
    }

    @Test("shards started at the same moment into a new folder all run (the first claim's staging file was taken for a stranger's)")
    func shardsStartingTogether() throws {
        let folder = try TemporaryFolder()
        try Data((["piano", "stop"].map { ExplainCommandTests.sample("audio/\($0).wav") }.joined(separator: "\n") + "\n").utf8)
            .write(to: URL(fileURLWithPath: folder.path("list.txt")))
        let list = folder.path("list.txt")
        for round in 0..<4 {
            let out = folder.path("out-\(round)")
            let statuses = Mutex([Int32]())
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let result = try? Self.batch([
                    "--manifest", list, "--out", out, "--shard-index", "\(index)", "--shard-count", "2",
                ])
                statuses.withLock { $0.append(result?.status ?? -1) }
                if let result, result.status != 0 { Issue.record("round \(round), shard \(index): \(result.error)") }
            }
            #expect(statuses.withLock { $0 } == [0, 0])
        }
    }

    @Test("the exit status counts failed inputs up to 63: 64 is a usage error, and a scheduler tells them apart")
    func exitStatusStopsBelowUsage() throws {
        let folder = try TemporaryFolder()
        let lines = (0..<70).map { folder.path("missing-\($0).wav") }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder.path("list.txt")))
        let result = try Self.batch(["--manifest", folder.path("list.txt"), "--out", folder.path("out")])
        #expect(result.status == 63, "\(result.error)")
        #expect(result.output.contains("0 explained, 0 complete before, 70 failed"))
        let usage = try WamProcess.run(["batch", "--out", folder.path("out")])
        #expect(usage.status == 64)
    }
}

import Foundation
import Testing
import Workflow

/// Which shard a process runs, from its options or its scheduler's environment, and how the
/// inputs are dealt out.
struct BatchShardTests {
    private func shard(_ index: Int? = nil, _ count: Int? = nil, _ environment: [String: String] = [:]) throws -> BatchShard {
        try BatchShard.resolve(index: index, count: count, environment: environment)
    }

    private func refusal(_ index: Int? = nil, _ count: Int? = nil, _ environment: [String: String] = [:]) -> String {
        do {
            let shard = try shard(index, count, environment)
            return "accepted \(shard)"
        } catch {
            return "\(error)"
        }
    }

    @Test func fromOptionsAndSchedulers() throws {
        #expect(try shard() == BatchShard(index: 0, count: 1, origin: "one shard"))
        #expect(try shard(2, 4) == BatchShard(index: 2, count: 4, origin: "--shard-index"))
        // Options win over the environment.
        #expect(try shard(1, 2, ["SLURM_ARRAY_TASK_ID": "7"]).index == 1)
        let slurm = ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_MAX": "11", "SLURM_ARRAY_TASK_STEP": "2"]
        #expect(try shard(nil, nil, slurm) == BatchShard(index: 1, count: 4, origin: "Slurm array"))
        #expect(try shard(nil, nil, ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"]).count == 4)
        #expect(
            try shard(nil, nil, ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"]) == BatchShard(index: 2, count: 3, origin: "Slurm array"))
        #expect(try shard(nil, 5, ["JOB_COMPLETION_INDEX": "4"]) == BatchShard(index: 4, count: 5, origin: "Kubernetes Indexed Job"))
        #expect(try shard(nil, nil, ["JOB_COMPLETION_INDEX": "0", "WAM_SHARD_COUNT": "3"]).count == 3)
        #expect(try shard(nil, nil, ["AWS_BATCH_JOB_ARRAY_INDEX": "9", "AWS_BATCH_JOB_ARRAY_SIZE": "10"]).index == 9)
    }

    @Test func contradictionsAreRefusedNamingTheVariable() {
        #expect(refusal(1, nil).hasPrefix("--shard-index: needs --shard-count"))
        #expect(refusal(4, 4).hasPrefix("--shard-index: index 4 is not below the 4 shards"))
        #expect(refusal(nil, 3).hasPrefix("--shard-count: needs --shard-index"))
        #expect(refusal(0, 0).hasPrefix("--shard-count: 0 shards"))
        #expect(refusal(nil, nil, ["JOB_COMPLETION_INDEX": "1"]).contains("WAM_SHARD_COUNT"))
        #expect(refusal(nil, nil, ["JOB_COMPLETION_INDEX": "x1", "WAM_SHARD_COUNT": "3"]).hasPrefix("JOB_COMPLETION_INDEX: 'x1' is not"))
        #expect(refusal(nil, nil, ["JOB_COMPLETION_INDEX": "-1", "WAM_SHARD_COUNT": "3"]).hasPrefix("JOB_COMPLETION_INDEX:"))
        #expect(
            refusal(nil, nil, ["JOB_COMPLETION_INDEX": "1", "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2", "WAM_SHARD_COUNT": "2"])
                .contains("Slurm array and Kubernetes Indexed Job both"))
        // --array=1,4,9: three tasks, min 1, max 9.
        let list = ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "9", "SLURM_ARRAY_TASK_COUNT": "3"]
        #expect(refusal(nil, nil, list).hasPrefix("SLURM_ARRAY_TASK_COUNT: 3 tasks in 1-9:1: the array is not one range"))
        let offStep = ["SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_MAX": "11", "SLURM_ARRAY_TASK_STEP": "2"]
        #expect(refusal(nil, nil, offStep).hasPrefix("SLURM_ARRAY_TASK_ID: 6 is not a task of the range 5-11:2"))
        #expect(
            refusal(nil, 3, ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"])
                .hasPrefix("--shard-count: is 3, but the Slurm array has 4 tasks"))
        #expect(refusal(nil, nil, ["AWS_BATCH_JOB_ARRAY_INDEX": "2"]).contains("AWS_BATCH_JOB_ARRAY_SIZE"))
        // The count of 0-Int.max overflowed (a trap) before it was checked.
        let huge = ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "\(Int.max)"]
        #expect(refusal(nil, nil, huge).hasPrefix("SLURM_ARRAY_TASK_MAX: \(Int.max) or more shards"))
    }

    @Test func inputsAreDealtLongestFirstToTheLeastLoadedShard() {
        // 10, 8, 5, 3, 2 s over 2 shards: 10 -> 0, 8 -> 1, 5 -> 1 (13), 3 -> 0 (13), 2 -> 0 (15).
        #expect(BatchInputs.assign(durations: [3, 10, 2, 8, 5], shards: 2) == [0, 0, 0, 1, 1])
        // Unknown lengths count as the mean known one; equal work goes to the lower shard, in input order.
        #expect(BatchInputs.assign(durations: [nil, 4, nil, 4], shards: 2) == [0, 1, 0, 1])
        #expect(BatchInputs.assign(durations: [nil, nil, nil], shards: 5) == [0, 1, 2])
        #expect(BatchInputs.assign(durations: [], shards: 3) == [])
    }

    @Test func manifestsAreReadOnceInOrder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = folder.appendingPathComponent("list.txt")
        try Data("# inputs\r\nb.wav\r\n\n  \na b.wav\n/abs/c.flac\nsub/../b.wav\n".utf8).write(to: manifest)
        let inputs = try BatchInputs(manifest: manifest.path)
        let base = folder.standardizedFileURL.path
        #expect(inputs.paths == ["\(base)/b.wav", "\(base)/a b.wav", "/abs/c.flac"])
        #expect(inputs.notes.count == 1 && inputs.notes[0].contains("line 7 repeats line 2"))
        // Two files whose names differ only in Unicode normalisation are two inputs.
        try Data("caf\u{E9}.wav\ncafe\u{301}.wav\n".utf8).write(to: manifest)
        #expect(try BatchInputs(manifest: manifest.path).paths.count == 2)
        try Data("# nothing\n\n".utf8).write(to: manifest)
        #expect(throws: WorkflowError(source: manifest.path, reason: "lists no inputs; expected one input path per line")) {
            try BatchInputs(manifest: manifest.path)
        }
        try Data([0xff, 0xfe, 0x0a]).write(to: manifest)
        #expect(throws: WorkflowError.self) { try BatchInputs(manifest: manifest.path) }
    }
}

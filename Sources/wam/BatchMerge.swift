import ArgumentParser
import AtomicFiles
import Foundation
import Workflow

struct BatchMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the shards of a batch into one summary.",
        discussion: """
            Reads OUT/batch.json and every OUT/shards/shard-I-of-N.jsonl, checks that each input has \
            one row and each explained input its result folder, and writes OUT/merged/: results.jsonl and \
            results.csv (one row per input, in input order), profiles.json (per explained class, the mean \
            share of each level over its windows) and failures.txt. Refuses shards that are missing, \
            malformed, or made for another batch.
            """
    )

    @Argument(help: "The batch's output folder (--out of wam batch).")
    var out: String

    func run() throws {
        let layout = BatchLayout(root: URL(fileURLWithPath: out).standardizedFileURL)
        let claim: BatchClaim
        do {
            claim = try BatchLayout.decodeClaim(try RegularFile.read(layout.claim.path, atMost: 1 << 20))
        } catch {
            throw WorkflowError(source: layout.claim.path, reason: "\(error); expected the claim a wam batch writes in its --out")
        }
        let rows = try Self.rows(layout, claim)
        var profiles: [String: ClassProfile] = [:]
        var csv = "input,status,windows,skipped_windows,classes,result,error\n"
        var jsonl = Data()
        var failures = ""
        for row in rows {
            jsonl += try BatchLayout.line(row)
            let classes = (row.classes ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
            csv +=
                [
                    row.input, row.status.rawValue, row.windows.map(String.init) ?? "", row.skippedWindows.map(String.init) ?? "", classes,
                    row.result ?? "", row.error ?? "",
                ]
                .map(Self.csvField).joined(separator: ",") + "\n"
            if row.status == .failed { failures += "\(row.input): \(row.error ?? "")\n" }
            for (label, profile) in (row.profiles ?? [:]).sorted(by: { $0.key < $1.key }) {
                profiles[label, default: ClassProfile(windows: 0, levels: [])].add(profile.levels, windows: profile.windows)
            }
        }
        let means = profiles.mapValues { profile in
            ClassProfile(
                windows: profile.windows,
                levels: profile.levels.map {
                    .init(name: $0.name, frequencyBand: $0.frequencyBand, importance: $0.importance / Double(profile.windows))
                })
        }
        do {
            try FileManager.default.createDirectory(at: layout.merged, withIntermediateDirectories: true)
        } catch {
            throw WorkflowError(source: layout.merged.path, reason: "cannot be created (\(FileErrorReason.describe(error)))")
        }
        try AtomicFile.write(jsonl, to: layout.merged.appendingPathComponent("results.jsonl"))
        try AtomicFile.write(Data(csv.utf8), to: layout.merged.appendingPathComponent("results.csv"))
        try AtomicFile.write(try ResultWriter.encode(means), to: layout.merged.appendingPathComponent("profiles.json"))
        try AtomicFile.write(Data(failures.utf8), to: layout.merged.appendingPathComponent("failures.txt"))
        let failed = rows.filter { $0.status == .failed }.count
        print(
            "merged \(claim.shards) shard(s): \(rows.count - failed) inputs explained, \(failed) failed, "
                + "\(means.values.map(\.windows).reduce(0, +)) windows -> \(layout.merged.path)")
    }

    /// Every shard's rows, checked and in input order.
    private static func rows(_ layout: BatchLayout, _ claim: BatchClaim) throws -> [BatchRow] {
        let missing = (0..<claim.shards).filter { !FileManager.default.fileExists(atPath: layout.shardFile($0, of: claim.shards).path) }
        guard missing.isEmpty else {
            throw WorkflowError(
                source: layout.shards.path,
                reason: "shard(s) \(missing.map(String.init).joined(separator: ", ")) of \(claim.shards) have not finished "
                    + "(no shard-I-of-\(claim.shards).jsonl): run them (a rerun skips what is complete), then merge")
        }
        var byOrder: [Int: BatchRow] = [:]
        for index in 0..<claim.shards {
            let file = layout.shardFile(index, of: claim.shards)
            let text: Data
            do {
                text = try RegularFile.read(file.path, atMost: 1 << 30)
            } catch {
                throw WorkflowError(source: file.path, reason: "\(error)")
            }
            for (number, line) in text.split(separator: UInt8(ascii: "\n")).enumerated() {
                let row: BatchRow
                do {
                    row = try BatchLayout.decodeRow(Data(line))
                } catch {
                    throw WorkflowError(source: "\(file.path):\(number + 1)", reason: "is not a row wam batch writes")
                }
                guard row.shard == index, (0..<claim.inputCount).contains(row.order) else {
                    throw WorkflowError(
                        source: "\(file.path):\(number + 1)", reason: "row of input \(row.order) of shard \(row.shard) is not of this shard")
                }
                guard byOrder.updateValue(row, forKey: row.order) == nil else {
                    throw WorkflowError(source: "\(file.path):\(number + 1)", reason: "input \(row.order) (\(row.input)) has a row already")
                }
                if row.status == .explained {
                    guard let result = row.result, !result.contains(".."),
                        FileManager.default.fileExists(atPath: layout.root.appendingPathComponent(result).appendingPathComponent("result.json").path)
                    else {
                        throw WorkflowError(
                            source: "\(file.path):\(number + 1)", reason: "names a result folder '\(row.result ?? "")' that holds no result.json")
                    }
                }
            }
        }
        guard byOrder.count == claim.inputCount else {
            throw WorkflowError(
                source: layout.shards.path, reason: "the shards hold rows for \(byOrder.count) of the batch's \(claim.inputCount) inputs")
        }
        return (0..<claim.inputCount).map { byOrder[$0]! }
    }

    /// A CSV field, quoted when it holds a comma, quote or line break.
    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

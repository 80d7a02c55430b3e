import Foundation
import Workflow

/// What every shard of a batch must share, kept in `OUT/batch.json` by the first shard to start:
/// the inputs, the shard count, the model and the explanation settings.
struct BatchClaim: Codable, Equatable {
    var format = 1
    var tool: String
    /// SHA-256 of the model file.
    var model: String
    /// Every option that changes what is written, as spelled.
    var settings: [String: String]
    /// `BatchInputs.digest` of the input list.
    var inputs: String
    var inputCount: Int
    var shards: Int

    enum CodingKeys: String, CodingKey {
        case format, tool, model, settings, inputs, shards
        case inputCount = "input_count"
    }

    /// A digest of what decides an input's results: the tool, the model and the settings.
    var settingsDigest: String {
        StableHash.hex(([tool, model] + settings.keys.sorted().map { "\($0)=\(settings[$0]!)" }).joined(separator: "\n"))
    }

    /// The fields in which `other` differs, for the refusal.
    func differences(from other: BatchClaim) -> [String] {
        var fields: [String] = []
        if tool != other.tool { fields.append("tool \(other.tool) (this is \(tool))") }
        if model != other.model { fields.append("model sha256 \(other.model.prefix(12)) (this is \(model.prefix(12)))") }
        if inputCount != other.inputCount {
            fields.append("\(other.inputCount) inputs (this is \(inputCount))")
        } else if inputs != other.inputs {
            fields.append("other inputs (the same number, but other paths, another order or other durations)")
        }
        if shards != other.shards { fields.append("\(other.shards) shards (this is \(shards))") }
        for key in Set(settings.keys).union(other.settings.keys).sorted() where settings[key] != other.settings[key] {
            fields.append("\(key) \(other.settings[key] ?? "unset") (this is \(settings[key] ?? "unset"))")
        }
        if format != other.format { fields.append("format \(other.format)") }
        return fields
    }
}

/// One input's line in a shard's JSONL (and, for an explained input, its `result.json`).
struct BatchRow: Codable, Equatable {
    enum Status: String, Codable { case explained, failed }

    /// The input's place in the input list.
    var order: Int
    var input: String
    var shard: Int
    var status: Status
    /// The result folder, relative to OUT.
    var result: String?
    var windows: Int?
    var skippedWindows: Int?
    /// Windows per explained class.
    var classes: [String: Int]?
    /// Per explained class, the sum over its windows of each level's share of the attribution.
    var profiles: [String: ClassProfile]?
    /// Seconds the explanation took, in the run that made it.
    var seconds: Double?
    /// Whether an earlier run had completed it.
    var reused: Bool?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case order, input, shard, status, result, windows, classes, profiles, seconds, reused, error
        case skippedWindows = "skipped_windows"
    }
}

/// Scale profiles summed over windows of one class: divide by `windows` for the mean.
struct ClassProfile: Codable, Equatable {
    struct Level: Codable, Equatable {
        var name: String
        var frequencyBand: [Double]?
        var importance: Double

        enum CodingKeys: String, CodingKey {
            case name, importance
            case frequencyBand = "frequency_band"
        }
    }

    var windows: Int
    var levels: [Level]

    /// Adds one window's profile (levels matched by name; new names appended).
    mutating func add(_ levels: [Level], windows count: Int = 1) {
        windows += count
        for level in levels {
            if let at = self.levels.firstIndex(where: { $0.name == level.name }) {
                self.levels[at].importance += level.importance
            } else {
                self.levels.append(level)
            }
        }
    }
}

/// Where things are in a batch's output folder.
struct BatchLayout {
    let root: URL

    var claim: URL { root.appendingPathComponent("batch.json") }
    var results: URL { root.appendingPathComponent("results", isDirectory: true) }
    var partial: URL { root.appendingPathComponent(".partial", isDirectory: true) }
    var shards: URL { root.appendingPathComponent("shards", isDirectory: true) }
    var merged: URL { root.appendingPathComponent("merged", isDirectory: true) }

    /// What a batch writes at the top of its folder.
    static let ownNames: Set<String> = ["batch.json", "results", ".partial", "shards", "merged"]

    func shardFile(_ index: Int, of count: Int, _ suffix: String = "jsonl") -> URL {
        shards.appendingPathComponent("shard-\(index)-of-\(count).\(suffix)")
    }

    /// Compact JSON, one value per line.
    static func line<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value) + Data("\n".utf8)
    }

    static func decodeRow(_ data: Data) throws -> BatchRow {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(BatchRow.self, from: data)
    }

    static func decodeClaim(_ data: Data) throws -> BatchClaim {
        try JSONDecoder().decode(BatchClaim.self, from: data)
    }
}

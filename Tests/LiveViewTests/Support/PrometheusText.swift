import Foundation

/// A strict reader of the Prometheus text exposition format (0.0.4): every line is a `# HELP`,
/// a `# TYPE` or a sample `name{label="value",...} number`, every sample belongs to a declared
/// family, and histograms have increasing buckets ending in `+Inf` equal to `_count`.
struct PrometheusText {
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var types: [String: String] = [:]
    private(set) var samples: [Sample] = []

    init(_ text: String) throws {
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                    throw Malformed(description: "bad TYPE line: \(line)")
                }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            guard !line.hasPrefix("#") else { continue }
            samples.append(try Self.sample(line))
        }
        for sample in samples where family(of: sample.name) == nil {
            throw Malformed(description: "sample \(sample.name) has no TYPE")
        }
        try checkHistograms()
    }

    /// The declared family a sample name belongs to (`x_bucket` belongs to histogram `x`).
    func family(of name: String) -> String? {
        if types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return nil
    }

    /// The value of the sample `name` with exactly `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    private static func sample(_ line: String) throws -> Sample {
        let name = String(line.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        guard let first = name.first, !first.isNumber else { throw Malformed(description: "bad metric name in \(line)") }
        var rest = Substring(line.dropFirst(name.count))
        var labels: [String: String] = [:]
        if rest.hasPrefix("{") {
            guard let close = rest.lastIndex(of: "}") else { throw Malformed(description: "unclosed labels in \(line)") }
            let body = rest[rest.index(after: rest.startIndex)..<close]
            let pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/
            var consumed = 0
            for match in body.matches(of: pattern) {
                labels[String(match.output.1)] = String(match.output.2)
                consumed += match.output.0.count
            }
            guard consumed == body.count else { throw Malformed(description: "bad labels in \(line)") }
            rest = rest[rest.index(after: close)...]
        }
        let fields = rest.split(separator: " ")
        guard (1...2).contains(fields.count), let value = number(String(fields[0])) else {
            throw Malformed(description: "bad value in \(line)")
        }
        return Sample(name: name, labels: labels, value: value)
    }

    /// A sample value: a decimal number, `+Inf`, `-Inf` or `NaN`.
    static func number(_ text: String) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }

    private func checkHistograms() throws {
        for (family, type) in types where type == "histogram" {
            let groups = Dictionary(grouping: samples.filter { $0.name == family + "_bucket" }) { $0.labels.filter { $0.key != "le" } }
            for (labels, buckets) in groups {
                guard buckets.allSatisfy({ $0.labels["le"].flatMap(Self.number) != nil }) else {
                    throw Malformed(description: "\(family) has a bucket without a numeric le")
                }
                let ordered = buckets.sorted { Self.number($0.labels["le"]!)! < Self.number($1.labels["le"]!)! }
                guard ordered.last?.labels["le"] == "+Inf" else { throw Malformed(description: "\(family) has no +Inf bucket") }
                guard zip(ordered, ordered.dropFirst()).allSatisfy({ $0.value <= $1.value }) else {
                    throw Malformed(description: "\(family) buckets decrease")
                }
                guard value(family + "_count", labels) == ordered.last?.value else {
                    throw Malformed(description: "\(family)_count differs from its +Inf bucket")
                }
            }
        }
    }
}

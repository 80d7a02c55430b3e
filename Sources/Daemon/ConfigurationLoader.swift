import AtomicFiles
import Foundation
import TOMLKit

/// One problem in a configuration: where it is and what was expected.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let file: String
    /// 1-based line, when the problem is in the file.
    public let line: Int?
    public let key: String
    public let message: String

    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(key): \(message)"
    }

    /// The same problem placed in the file at `path`: its name and the line setting the key.
    public func located(in path: String) -> ConfigurationError {
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        let lines = (try? String(contentsOfFile: path, encoding: .utf8))?.components(separatedBy: "\n") ?? []
        let found = parts.count == 2 ? ConfigurationLoader.line(of: parts[1], in: parts[0], lines: lines) : nil
        return ConfigurationError(file: path, line: found ?? line, key: key, message: message)
    }
}

/// Reads and checks configurations.
public enum ConfigurationLoader {
    /// Parses TOML `text` (named `file` in messages) over the defaults, then applies `overrides`
    /// (`section.key=value`, value in TOML syntax or a bare string).
    /// - Throws: every problem found, each naming the key, its line and what was expected.
    public static func load(text: String, file: String, overrides: [String] = []) throws(ConfigurationErrors) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        var problems: [ConfigurationError] = []
        let table: TOMLTable
        do {
            table = try parseTOML(text)
        } catch {
            throw ConfigurationErrors([ConfigurationError(file: file, line: error.line, key: "(syntax)", message: error.message)])
        }
        let lines = text.components(separatedBy: "\n")
        for section in table.keys {
            guard let values = table[section]?.table else {
                problems.append(
                    .init(
                        file: file, line: line(of: section, in: nil, lines: lines), key: section,
                        message: "expected a [\(section)] table; keys belong to sections "
                            + Set(DaemonConfiguration.fields.map(\.section)).sorted().joined(separator: ", ")))
                continue
            }
            for key in values.keys {
                let path = "\(section).\(key)"
                guard let field = DaemonConfiguration.fields.first(where: { $0.path == path }) else {
                    let known = DaemonConfiguration.fields.filter { $0.section == section }.map(\.key)
                    problems.append(
                        .init(
                            file: file, line: line(of: key, in: section, lines: lines), key: path,
                            message: known.isEmpty
                                ? "unknown section [\(section)]"
                                : "unknown key; [\(section)] has " + known.joined(separator: ", ")))
                    continue
                }
                // TOMLKit hands keys over as C strings: a key with a NUL comes back cut and finds nothing.
                guard let value = values[key], !key.contains("\0") else {
                    problems.append(.init(file: file, line: nil, key: path, message: "a key holding a NUL character"))
                    continue
                }
                if !field.apply(&configuration, convert(value)) {
                    problems.append(
                        .init(
                            file: file, line: line(of: key, in: section, lines: lines), key: path,
                            message: "expected \(field.expected), got \(value.debugDescription)"))
                }
            }
        }
        for override in overrides {
            let parts = override.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let field = DaemonConfiguration.fields.first(where: { $0.path == parts[0] }) else {
                problems.append(
                    .init(
                        file: "command line", line: nil, key: parts.first ?? override,
                        message: "expected --set section.key=value with a known key"))
                continue
            }
            let parsed = (try? parseTOML("v = \(parts[1])")).flatMap { $0["v"] }.map(convert)
            // Unquoted text is taken as it is (--set mqtt.host=broker.lan); a quoted value must be valid TOML.
            if parsed == nil, let first = parts[1].first, "\"'[{".contains(first) {
                problems.append(
                    .init(
                        file: "command line", line: nil, key: field.path,
                        message: "\(parts[1].prefix(80)) is not a valid TOML value (a string's escapes, quotes or brackets)"))
                continue
            }
            let value = parsed ?? .text(parts[1])
            if !field.apply(&configuration, value) {
                problems.append(.init(file: "command line", line: nil, key: field.path, message: "expected \(field.expected), got \(parts[1])"))
            }
        }
        problems += semanticProblems(configuration, file: file, lines: lines)
        if !problems.isEmpty { throw ConfigurationErrors(problems.sorted { ($0.line ?? .max) < ($1.line ?? .max) }) }
        return configuration
    }

    /// A syntax error: its 1-based line (when known) and what is wrong.
    struct SyntaxError: Error {
        let line: Int?
        let message: String
    }

    /// `text` parsed by TOMLKit, after refusing what its toml++ would abort the process on
    /// instead of reporting: a table header whose first character is not a key's (`[=`, `[#`,
    /// a lone `[`), which fails an assertion in toml++'s key parser (toml++ 3.x; fixed upstream,
    /// tomlplusplus pull request 301; fuzz finding F2).
    static func parseTOML(_ text: String) throws(SyntaxError) -> TOMLTable {
        var inMultilineString: String?
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // TOMLKit hands strings over as C strings: an escaped NUL would cut a path short unseen.
            if line.range(of: #"\\(u0000|U00000000)"#, options: .regularExpression) != nil {
                throw SyntaxError(line: number + 1, message: "a NUL character (\\u0000) in a string; it would cut the value short")
            }
            let wasInString = inMultilineString != nil
            for quote in ["\"\"\"", "'''"] where inMultilineString == nil || inMultilineString == quote {
                if line.components(separatedBy: quote).count % 2 == 0 { inMultilineString = inMultilineString == nil ? quote : nil }
            }
            guard !wasInString else { continue }
            var rest = line.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "[" else { continue }
            rest = rest.dropFirst()
            if rest.first == "[" { rest = rest.dropFirst() }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            let keyStart = rest.unicodeScalars.first.map {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-\"']".unicodeScalars.contains($0))
            }
            if keyStart != true {
                throw SyntaxError(line: number + 1, message: "a table header must start with a key: letters, digits, _ or -, or a quoted key")
            }
        }
        if let line = valueMissingAfterBracketOrComma(text) {
            throw SyntaxError(line: line, message: "a value is missing: after '[' or ',' comes a value or ']', never '}' or ','")
        }
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SyntaxError(line: Int(error.source.begin.line), message: error.description)
        } catch {
            throw SyntaxError(line: nil, message: "\(error)")
        }
    }

    /// The line of the first `[` or `,` (outside strings and comments) whose next character,
    /// past blanks, line breaks and comments, is `}` or `,`: toml++'s array parser fails an
    /// assertion on it (`e=[}`; fuzz finding F4) instead of reporting it.
    static func valueMissingAfterBracketOrComma(_ text: String) -> Int? {
        let scalars = Array(text.unicodeScalars)
        var line = 1, index = 0, opened: Int?
        func starts(_ quote: String, at position: Int) -> Bool {
            let quote = Array(quote.unicodeScalars)
            return position + quote.count <= scalars.count && Array(scalars[position..<position + quote.count]) == quote
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" { line += 1 }
            if let at = opened, scalar == "}" || scalar == "," { return at }
            if scalar == "#" {  // a comment, to the end of the line
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
                continue
            }
            if scalar != " " && scalar != "\t" && scalar != "\n" && scalar != "\r" { opened = nil }
            if scalar == "[" || scalar == "," {
                opened = line
            } else if scalar == "\"" || scalar == "'" {
                let triple = String(repeating: String(scalar), count: 3)
                let close = starts(triple, at: index) ? triple : String(scalar)
                index += close.unicodeScalars.count
                while index < scalars.count, !starts(close, at: index) {
                    if scalars[index] == "\n" { line += 1 }
                    if scalar == "\"", scalars[index] == "\\" { index += 1 }  // an escape: the next character is the string's
                    index += 1
                }
                index += close.unicodeScalars.count
                continue
            }
            index += 1
        }
        return nil
    }

    /// Reads the file at `path` (see `load(text:file:overrides:)`).
    public static func load(path: String, overrides: [String] = []) throws(ConfigurationErrors) -> DaemonConfiguration {
        func problem(_ message: String) -> ConfigurationErrors {
            ConfigurationErrors([ConfigurationError(file: path, line: nil, key: "(file)", message: message)])
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw problem("cannot read the file (\(FileErrorReason.describe(error)))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let valid = String(decoding: data, as: UTF8.self).prefix { $0 != "\u{FFFD}" }
            let line = valid.filter { $0 == "\n" }.count + 1
            throw ConfigurationErrors([
                ConfigurationError(
                    file: path, line: line, key: "(file)",
                    message: "not UTF-8 text; save the file as UTF-8")
            ])
        }
        return try load(text: text, file: path, overrides: overrides)
    }

    /// `text` as a TOML basic string, quoted and escaped, for building `--set` overrides from
    /// values such as paths (a `\t` or `"` in a path stays what it is).
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += String(format: "\\u%04X", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Checks that need several keys, or knowledge beyond one value.
    static func semanticProblems(_ c: DaemonConfiguration, file: String, lines: [String]) -> [ConfigurationError] {
        var problems: [ConfigurationError] = []
        func problem(_ section: String, _ key: String, _ message: String) {
            problems.append(.init(file: file, line: line(of: key, in: section, lines: lines), key: "\(section).\(key)", message: message))
        }
        do {
            _ = try AudioSourceSpecification(c.input)
        } catch {
            problem("source", "input", error.message)
        }
        if c.modelPath.isEmpty { problem("model", "path", "expected the path of an .onnx model") }
        if c.outputDirectory.isEmpty { problem("output", "dir", "expected a folder for the explanations") }
        if c.httpEnabled, let (key, message) = c.httpAccessProblem { problem("http", key, message) }
        return problems
    }

    private static func convert(_ value: TOMLValueConvertible) -> DaemonConfiguration.ConfigValue {
        switch value.type {
        case .int: return .integer(value.int!)
        case .double: return .number(value.double!)
        case .bool: return .flag(value.bool!)
        case .string: return .text(value.string!)
        case .array: return .list(value.array!.map(convert))
        case .table:
            let table = value.table!
            return .table(Dictionary(uniqueKeysWithValues: table.keys.compactMap { key in table[key].map { (key, convert($0)) } }))
        default: return .text(value.debugDescription)
        }
    }

    /// The 1-based line where `key` is set in `section` (or where the section starts).
    static func line(of key: String, in section: String?, lines: [String]) -> Int? {
        var current: String?
        for (number, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                current = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                if section == nil && current == key { return number + 1 }
                continue
            }
            if current == section, line.hasPrefix(key), line.dropFirst(key.count).drop(while: { $0 == " " }).first == "=" {
                return number + 1
            }
        }
        return nil
    }
}

/// All problems found in one configuration.
public struct ConfigurationErrors: Error, CustomStringConvertible, Equatable {
    public let problems: [ConfigurationError]

    public init(_ problems: [ConfigurationError]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

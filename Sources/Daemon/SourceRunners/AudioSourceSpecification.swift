import AudioIO
import Foundation

/// Where the daemon's audio comes from, parsed from `source.input`.
public enum AudioSourceSpecification: Sendable, Equatable {
    /// An ALSA capture device, reopened with back-off when it disappears.
    case alsa(device: String)
    /// One file of any libsndfile format; the daemon stops at its end.
    case file(URL)
    /// A folder watched for finished recordings, each processed once.
    case spool(URL)
    /// Raw PCM on standard input; the daemon stops at its end.
    case standardInput

    public init(_ text: String) throws(ConfigurationError) {
        if text == "-" { self = .standardInput; return }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw ConfigurationError(
                file: "configuration", line: nil, key: "source.input",
                message: "expected alsa:DEVICE, file:PATH, spool:FOLDER or - (raw PCM on standard input), got \"\(text)\"")
        }
        switch parts[0] {
        case "alsa": self = .alsa(device: parts[1])
        case "file": self = .file(URL(fileURLWithPath: parts[1]))
        case "spool": self = .spool(URL(fileURLWithPath: parts[1]))
        default:
            throw ConfigurationError(
                file: "configuration", line: nil, key: "source.input",
                message: "unknown source kind \"\(parts[0])\"; expected alsa, file, spool or -")
        }
    }

    /// The name used in logs and as the output folder.
    var name: String {
        switch self {
        case let .alsa(device): "alsa:\(device)"
        case let .file(url): "file:\(url.lastPathComponent)"
        case let .spool(url): "spool:\(url.lastPathComponent)"
        case .standardInput: "stdin"
        }
    }
}

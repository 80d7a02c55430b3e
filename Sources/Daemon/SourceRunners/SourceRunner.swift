import Foundation

/// How one kind of source (`source.input`) is read: one file per kind, chosen in
/// `AudioSourceSpecification.runner`. A runner moves its audio through the `StreamPipeline`
/// until the source ends or the daemon stops, and keeps `sourceState` current.
protocol SourceRunner: Sendable {
    /// Reads the source until it ends or the daemon stops.
    /// - Returns: why the source could not be read to its end (wamd then exits non-zero), or nil.
    func run(through pipeline: StreamPipeline) -> String?
}

extension AudioSourceSpecification {
    /// The runner that reads this source.
    var runner: any SourceRunner {
        switch self {
        case let .alsa(device): ALSASourceRunner(device: device)
        case let .file(url): FileSourceRunner(url: url)
        case let .spool(folder): SpoolSourceRunner(folder: folder)
        case .standardInput: StandardInputSourceRunner()
        }
    }
}

import AudioIO
import Foundation

/// Reads raw PCM from standard input to its end (`source.raw_format`, `capture_rate`,
/// `capture_channels`). Live unless `stdin_backpressure` is set: a recorder writing into the
/// pipe never waits for the model.
struct StandardInputSourceRunner: SourceRunner {
    func run(through pipeline: StreamPipeline) -> String? {
        let runtime = pipeline.runtime, settings = runtime.configuration
        do {
            let format = settings.rawFormat
            let stream = try RawPCMStream(
                handle: FileHandle.standardInput, format: format, sampleRate: Double(settings.captureRate),
                channels: settings.captureChannels)
            runtime.metrics.update { $0.sourceState = .reading }
            runtime.markReady()
            if case let .failed(reason) = pipeline.pump(stream, live: !settings.stdinBackpressure, startTime: Date(), progress: nil) {
                return reason
            }
            return nil
        } catch {
            runtime.metrics.update { $0.inputErrors += 1 }
            runtime.logger.error("standard input unusable", metadata: ["error": "\(error)"])
            return "standard input unusable: \(error)"
        }
    }
}

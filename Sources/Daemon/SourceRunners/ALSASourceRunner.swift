import AudioIO
import Foundation

/// Captures from an ALSA device until the daemon stops, reopening it with back-off (up to a
/// minute) when it disappears.
struct ALSASourceRunner: SourceRunner {
    let device: String

    func run(through pipeline: StreamPipeline) -> String? {
        let runtime = pipeline.runtime, settings = runtime.configuration
        var delay = settings.reopenDelay
        while !runtime.isStopping {
            do {
                let capture = try ALSACapture(
                    device: device, rate: settings.captureRate, channels: settings.captureChannels,
                    periodFrames: settings.periodFrames)
                delay = settings.reopenDelay
                runtime.metrics.update { $0.sourceState = .capturing }
                runtime.markReady()
                _ = pipeline.pump(capture, live: true, startTime: Date(), progress: nil)
                runtime.metrics.update { $0.overruns += capture.overruns }
                if capture.overruns > 0 {
                    runtime.logger.warning("capture overruns recovered", metadata: ["count": "\(capture.overruns)"])
                }
            } catch {
                runtime.metrics.update {
                    $0.inputErrors += 1
                    $0.sourceState = .reopening
                }
                runtime.logger.error("capture device unavailable; retrying", metadata: ["error": "\(error)", "retry_seconds": "\(delay)"])
                runtime.sleep(seconds: delay)
                delay = min(delay * 2, 60)
            }
        }
        return nil
    }
}

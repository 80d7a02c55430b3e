import AudioIO
import Foundation
import Logging
import Synchronization
import Workflow

/// Moves a stream's audio from capture to the workers: a capture thread fills a bounded buffer
/// (a live source never waits for the model), the calling thread classifies its windows, gates
/// them, tells the sinks and queues the ones to explain. Source runners call `pump` or `readFile`.
final class StreamPipeline: Sendable {
    let runtime: DaemonRuntime
    private let classifier: Classifier
    private let outputs: WindowOutputs
    private let workers: ExplanationWorkers
    /// The buffer between capture and classification of the current stream.
    private let ring = Mutex<BlockingQueue<[Float]>?>(nil)

    init(runtime: DaemonRuntime, classifier: Classifier, outputs: WindowOutputs, workers: ExplanationWorkers) {
        self.runtime = runtime
        self.classifier = classifier
        self.outputs = outputs
        self.workers = workers
    }

    /// Stops the current stream: its buffer closes and what it held is discarded.
    func interrupt() {
        ring.withLock {
            $0?.close()
            _ = $0?.drain()
        }
    }

    /// Reads one file to its end and waits until the explanations it asked for are written.
    func readFile(_ url: URL) -> FileOutcome {
        let metrics = runtime.metrics
        metrics.update {
            $0.sourceState = .reading
            $0.sourceFile = url.lastPathComponent
        }
        runtime.markReady()
        let stream: FileStream
        do {
            stream = try FileStream(url: url)
        } catch {
            metrics.update { $0.inputErrors += 1 }
            runtime.logger.error("cannot read audio file", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        // The modification time is when the recording ended: its windows start a duration earlier.
        let modified = (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? Date()
        let progress = FileProgress()
        let read = pump(stream, live: false, startTime: modified.addingTimeInterval(-(stream.duration ?? 0)), progress: progress)
        // A stopped file is read again at the next start: its queued explanations are left to the stop policy.
        if read == .interrupted { return .interrupted }
        let explanations = progress.waitUntilSettled(giveUpAt: { self.runtime.stopDeadline })
        if explanations.pending > 0 || (explanations.dropped > 0 && runtime.isStopping) { return .interrupted }
        if read != .done { return read }
        if explanations.failed > 0 || explanations.dropped > 0 {
            return .failed("\(explanations.failed) explanations failed and \(explanations.dropped) were dropped")
        }
        return .done
    }

    /// Moves one stream's audio through capture, classification and the gates. A file (not
    /// `live`) is read only as fast as it is classified and explained, and waits while writes
    /// are paused; its explanations are counted in `progress`.
    func pump(_ stream: any AudioStream, live: Bool, startTime: Date, progress: FileProgress?) -> FileOutcome {
        let settings = runtime.configuration
        let blocks = max(4, Int(settings.bufferSeconds * stream.sampleRate) / max(settings.periodFrames, 1))
        let buffer = BlockingQueue<[Float]>(capacity: live ? blocks : 4, overflow: live ? .dropOldest : .wait)
        ring.withLock { $0 = buffer }
        if runtime.isStopping { buffer.close() }
        let capture = capture(stream, into: buffer, period: settings.periodFrames)
        var outcome = FileOutcome.done
        do {
            let windows = try StreamClassifier(
                classifier: classifier, source: stream.name, startTime: startTime,
                streamRate: stream.sampleRate, channels: stream.channels,
                modelRate: Double(settings.modelRate), hop: settings.hop)
            var overruns = 0
            while let block = buffer.pop(), !runtime.isStopping {
                if !live { runtime.waitForSpace() }
                let lost = capture.overruns.load(ordering: .relaxed)
                if lost != overruns {
                    overruns = lost
                    windows.gap()
                }
                let batch = try windows.process(block)
                handle(batch, source: stream.name, live: live, progress: progress)
            }
            if runtime.isStopping {
                outcome = .interrupted
            } else if !live {
                let batch = try windows.finish()
                handle(batch, source: stream.name, live: live, progress: progress)
            }
        } catch {
            outcome = .failed("\(error)")
            inputError("stream failed", source: stream.name, "\(error)")
        }
        // When the loop ended because capture closed the buffer, its failure (recorded before the
        // closing) is known here; after a stop a reader still blocked in `read` is not waited for.
        if let message = capture.failure.withLock({ $0 }) {
            outcome = .failed(message)
            inputError("reading failed", source: stream.name, message)
        } else if capture.samples.load(ordering: .relaxed) == 0 && outcome == .done {
            outcome = .failed("\(stream.name) holds no audio frames")
            inputError("no audio", source: stream.name, "holds no audio frames")
        }
        ring.withLock { $0 = nil }
        return outcome
    }

    /// What the capture thread of one stream reports.
    private final class Capture: Sendable {
        let failure = Mutex<String?>(nil)
        let samples = Atomic<Int>(0)
        /// Blocks dropped because the classifier fell behind.
        let overruns = Atomic<Int>(0)
    }

    /// Starts the thread that reads `stream` into `buffer` until its end, an error or the
    /// buffer's closing.
    private func capture(_ stream: any AudioStream, into buffer: BlockingQueue<[Float]>, period: Int) -> Capture {
        let capture = Capture()
        nonisolated(unsafe) let unsafeStream = stream
        DaemonRuntime.startThread("wamd-capture", group: nil) {
            while true {
                do {
                    guard let block = try unsafeStream.read(frames: period), !block.isEmpty else { break }
                    capture.samples.add(block.count, ordering: .relaxed)
                    guard let dropped = buffer.push(block) else { break }
                    if !dropped.isEmpty {
                        capture.overruns.add(dropped.count, ordering: .relaxed)
                        self.runtime.metrics.update { $0.overruns += dropped.count }
                    }
                } catch {
                    capture.failure.withLock { $0 = "\(error)" }
                    break
                }
            }
            buffer.close()
        }
        return capture
    }

    private func inputError(_ message: Logger.Message, source: String, _ error: String) {
        runtime.metrics.update { $0.inputErrors += 1 }
        runtime.logger.error(message, metadata: ["source": "\(source)", "error": "\(error)"])
    }

    /// Gates classified windows, tells the sinks and queues the ones to explain.
    private func handle(
        _ batch: (windows: [ClassifiedWindow], rejected: [RejectedWindow]), source name: String, live: Bool,
        progress: FileProgress?
    ) {
        let metrics = runtime.metrics
        if !batch.rejected.isEmpty {
            metrics.update { $0.inputErrors += batch.rejected.count }
            for rejected in batch.rejected {
                runtime.logger.warning("window skipped: \(rejected.reason)", metadata: ["source": "\(name)", "sample": "\(rejected.sampleIndex)"])
            }
        }
        for window in batch.windows {
            let started = Date()
            let label = classifier.labels[window.top], probability = window.probabilities[window.top]
            let decision = runtime.decide(dbfs: window.dbfs, label: label, probability: probability)
            let ranked = window.probabilities.indices.sorted { window.probabilities[$0] > window.probabilities[$1] }.prefix(3)
            outputs.classified(
                WindowEvent(
                    sequence: 0, kind: .classified, time: window.time, source: name, sampleIndex: window.sampleIndex,
                    prediction: label, probability: probability, dbfs: window.dbfs, decision: decision,
                    top: Dictionary(uniqueKeysWithValues: ranked.map { (classifier.labels[$0], window.probabilities[$0]) }),
                    document: nil))
            let dropped = decision == .explain ? workers.submit(ExplanationJob(window: window, progress: progress), live: live) : 0
            let configuration = runtime.configuration
            let hopSeconds = Double(configuration.hop > 0 ? configuration.hop : window.samples.count) / Double(configuration.modelRate)
            metrics.update {
                $0.windowsClassified += 1
                if decision != .explain { $0.windowsGated[decision.rawValue, default: 0] += 1 }
                $0.explanationsDropped += dropped
                $0.lastWindowTime = Date()
                $0.lastClass = label
                $0.queueDepth = workers.queued
                $0.audioSeconds += hopSeconds
            }
            metrics.record(.classify, seconds: Date().timeIntervalSince(started))
            runtime.beat()
        }
    }
}

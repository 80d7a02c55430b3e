import Foundation
import Workflow

/// The explanation workers: `workers` threads explain the gated windows from a bounded queue
/// and hand the results to `WindowOutputs`. Live sources drop the oldest queued window when
/// the queue is full; files wait for room.
final class ExplanationWorkers: Sendable {
    private let runtime: DaemonRuntime
    private let outputs: WindowOutputs
    private let queue: BlockingQueue<ExplanationJob>
    private let count: Int
    private let finished = DispatchGroup()

    init(count: Int, queueLength: Int, runtime: DaemonRuntime, outputs: WindowOutputs) {
        self.count = count
        self.runtime = runtime
        self.outputs = outputs
        queue = BlockingQueue(capacity: queueLength, overflow: .dropOldest)
    }

    /// Explanations waiting for a worker.
    var queued: Int { queue.count }

    /// Starts the worker threads.
    func start() {
        for index in 0..<count { DaemonRuntime.startThread("wamd-explain-\(index)", group: finished) { self.work() } }
    }

    /// Queues one window; returns how many queued windows were dropped for it (the window itself
    /// when the queue is closed).
    func submit(_ job: ExplanationJob, live: Bool) -> Int {
        job.progress?.add()
        let evicted = queue.push(job, overflow: live ? .dropOldest : .wait) ?? [job]
        for old in evicted { old.progress?.finish(.dropped) }
        return evicted.count
    }

    /// Closes the queue and waits for the workers: the queued windows are explained, or dropped
    /// per `explain.on_stop`, and whatever is left at the stop's deadline is dropped.
    func finish(deadline: Date?) {
        let settings = runtime.configuration
        if settings.onStop != .finish { dropQueued() }
        queue.close()
        let deadline = deadline ?? Date().addingTimeInterval(settings.stopTimeout)
        if finished.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow)) == .timedOut {
            let dropped = dropQueued()
            runtime.logger.warning("stop timeout: dropped the queued explanations", metadata: ["dropped": "\(dropped)"])
            _ = finished.wait(timeout: .now() + 60)
        }
    }

    /// Empties the queue, counting what it held as dropped.
    @discardableResult
    func dropQueued() -> Int {
        let jobs = queue.drain()
        for job in jobs { job.progress?.finish(.dropped) }
        runtime.metrics.update { $0.explanationsDropped += jobs.count }
        return jobs.count
    }

    private func work() {
        let metrics = runtime.metrics
        while let job = queue.pop() {
            metrics.update { $0.queueDepth = queue.count }
            // A file's windows wait for space (the file is read on afterwards); live ones are skipped.
            if job.progress != nil { runtime.waitForSpace() }
            if metrics.snapshot.diskPaused {
                metrics.update { $0.writesSkippedLowDisk += 1 }
                job.progress?.finish(.dropped)
                continue
            }
            do {
                let json = try explain(job.window)
                job.progress?.finish(.written)
                runtime.logger.debug("explained", metadata: ["file": "\(json.lastPathComponent)"])
            } catch {
                metrics.update { $0.explanationsFailed += 1 }
                job.progress?.finish(.failed)
                runtime.logger.error("explanation failed", metadata: ["source": "\(job.window.source)", "error": "\(error)"])
            }
        }
    }

    /// Explains one window with the current settings and writes it; returns its JSON file.
    private func explain(_ window: ClassifiedWindow) throws -> URL {
        let started = Date()
        let settings = runtime.settings
        let configuration = settings.configuration
        let input = InputSignal(stream: window.source, sampleRate: Double(configuration.modelRate))
        var result = try settings.explainer.explain(
            InputWindow(index: 0, samples: window.samples, startSample: window.sampleIndex, paddedSamples: window.padding, state: window.state),
            of: input)
        result.document.stream = .init(source: window.source, startTime: window.time.formatted(.iso8601), sampleIndex: window.sampleIndex)
        // The live view plays the input window next to the interpretation.
        let written = try outputs.explained(
            result, source: window.source, time: window.time, sampleIndex: window.sampleIndex, dbfs: window.dbfs,
            profilesOnly: configuration.profilesOnly, writeInput: configuration.writeInput || configuration.httpEnabled,
            streamWindow: true)
        runtime.metrics.record(.explain, seconds: Date().timeIntervalSince(started))
        return written.json
    }
}

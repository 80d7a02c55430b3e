import Foundation

/// Watches a spool folder and reads each finished recording once (`SpoolWatcher`); no new file
/// is taken while writes are paused for lack of space.
struct SpoolSourceRunner: SourceRunner {
    let folder: URL

    func run(through pipeline: StreamPipeline) -> String? {
        let runtime = pipeline.runtime
        SpoolWatcher(folder: folder, logger: runtime.logger).run(
            stop: { runtime.isStopping },
            idle: {
                runtime.beat()
                runtime.markReady()
                runtime.metrics.update { $0.sourceState = $0.diskPaused ? .waitingForSpace : .watching }
            },
            canTake: { !runtime.metrics.snapshot.diskPaused },
            process: { pipeline.readFile($0) })
        return nil
    }
}

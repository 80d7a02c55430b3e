import Foundation

/// Reads one audio file (any libsndfile format) to its end, and waits for its explanations.
struct FileSourceRunner: SourceRunner {
    let url: URL

    func run(through pipeline: StreamPipeline) -> String? {
        if case let .failed(reason) = pipeline.readFile(url) { return reason }
        return nil
    }
}

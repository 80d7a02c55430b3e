/// Produces the program for a batch size; what a model format (ONNX) provides to the engine.
public protocol ProgramCompiler: Sendable {
    /// Shape of one example (the model input without its batch axis).
    var exampleShape: [Int] { get }
    /// The only batch size the model runs with, when its batch axis is fixed; `nil` when any works.
    var fixedBatchSize: Int? { get }
    /// The program for `batchSize` examples: input `[batchSize] + exampleShape`, output batch-first.
    func program(batchSize: Int) throws -> Program
}

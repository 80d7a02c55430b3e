import ArgumentParser

@main
struct Wam: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wam",
        abstract: "Explain what audio (and image and volume) classifiers rely on, in the wavelet domain.",
        subcommands: [ExplainCommand.self, BatchCommand.self, EvalCommand.self, DatasetCommand.self, WaveletCommand.self, ModelCommand.self]
    )
}

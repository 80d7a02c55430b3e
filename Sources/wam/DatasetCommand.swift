import ArgumentParser
import Foundation
import Workflow

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Grow a labelled dataset (a folder per class) from explained windows.",
        subcommands: [Add.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the input windows of explained windows into DATASET/LABEL/.",
            discussion: """
                Each WINDOW.json is a document written by wamd (with explain.write_input = true, so \
                that its <name>_input.wav is kept) or by wam explain --input-audio. Its input window \
                is copied to DATASET/LABEL/, named after the source and start time of the window \
                (wamd) or the input file and window index (wam explain), with a hash of both; a \
                window added before is left as it is. The folder is what `wam eval --data` and wamtrain \
                (Training/wam-train --data) read.
                """
        )

        @Argument(help: "Window documents (.json) written by wamd or wam explain.")
        var windows: [String]

        @Option(help: "The class the windows belong to (the folder name in the dataset).")
        var label: String

        @Option(help: "The dataset folder (created when missing).")
        var to: String

        func validate() throws {
            guard !to.isEmpty else { throw ValidationError("--to '': expected the dataset folder") }
            do {
                try WindowDataset.checkLabel(label)
            } catch {
                throw ValidationError(error.description)
            }
        }

        func run() throws {
            let dataset = WindowDataset(folder: URL(fileURLWithPath: to))
            var added = 0, present = 0, failed = 0
            for window in windows {
                do {
                    switch try dataset.add(documentAt: URL(fileURLWithPath: window), label: label) {
                    case .added(let url):
                        added += 1
                        print("\(window) -> \(url.path)")
                    case .alreadyThere(let url):
                        present += 1
                        print("\(window): already in the dataset as \(url.path)")
                    }
                } catch {
                    failed += 1
                    FileHandle.standardError.write(Data("wam dataset add: \(error)\n".utf8))
                }
            }
            print("\(added) added to \(URL(fileURLWithPath: to).appendingPathComponent(label).path), \(present) already there, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

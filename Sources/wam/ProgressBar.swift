import Foundation

/// A one-line progress bar on standard error, shown only when it is a terminal and there is
/// more than one step.
struct ProgressBar {
    let total: Int
    let label: String
    private(set) var done = 0
    private let visible: Bool
    private let started = Date()

    init(total: Int, label: String) {
        self.total = total
        self.label = label
        visible = total > 1 && isatty(STDERR_FILENO) != 0
    }

    mutating func advance() {
        done += 1
        guard visible else { return }
        let width = 30, filled = width * done / max(total, 1)
        let elapsed = Date().timeIntervalSince(started)
        let remaining = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let line =
            "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(done)/\(total)  \(String(format: "%.0f", remaining)) s left "
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Erases the bar, so that a message can take its line (the next `advance` draws it again).
    func clear() {
        if visible { FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: 79) + "\r").utf8)) }
    }

    func finish() {
        if visible { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

import AudioIO
import Foundation
import Testing

@testable import Workflow

@Suite struct WindowingTests {
    @Test("windows of the model length every hop, with their stream index; the last one padded")
    func windows() {
        var assembler = WindowAssembler(length: 4, hop: 2)
        #expect(assembler.append([0, 1, 2]).isEmpty)
        let first = assembler.append([3, 4, 5])
        #expect(first.map(\.start) == [0, 2])
        #expect(first.map(\.samples) == [[0, 1, 2, 3], [2, 3, 4, 5]])
        #expect(assembler.append([6]).isEmpty)
        let last = assembler.finish()
        #expect(last?.start == 4 && last?.samples == [4, 5, 6, 0] && last?.padding == 1)
        var short = WindowAssembler(length: 10, hop: 10)
        _ = short.append([1, 2, 3])
        #expect(short.finish()?.samples == [1, 2, 3, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("the announced window count is the number of windows the assembler cuts, for any length and hop")
    func windowCount() {
        for length in [1, 3, 4, 10] {
            for hop in [1, 2, 3, 4, 7, 12] {
                for samples in 0...40 {
                    var assembler = WindowAssembler(length: length, hop: hop)
                    var cut = 0
                    for start in stride(from: 0, to: samples, by: 5) {
                        cut += assembler.append((start..<min(start + 5, samples)).map(Float.init)).count
                    }
                    if samples > 0, assembler.finish() != nil { cut += 1 }
                    #expect(
                        WindowAssembler.windowCount(samples: samples, length: length, hop: hop) == cut,
                        "length \(length) hop \(hop) samples \(samples)")
                }
            }
        }
    }

    @Test("a long recording is read window by window: the same windows as decoding it whole, memory flat")
    func streamedWindows() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Samples/audio/stream-40s.wav")
        let reader = try InputReader(url: url, exampleShape: [1, 16000], sampleRate: 16000, hop: 12000)
        let whole = try AudioFile.read(url).samples
        #expect(reader.signal.windowCount == WindowAssembler.windowCount(samples: whole.count, length: 16000, hop: 12000))
        var count = 0
        while let window = try reader.next() {
            #expect(window.index == count && window.startSample == count * 12000)
            let expected = Array(whole[window.startSample..<min(window.startSample + 16000, whole.count)])
            #expect(Array(window.samples.prefix(expected.count)) == expected)
            #expect(window.paddedSamples == 16000 - expected.count)
            count += 1
        }
        #expect(count == reader.signal.windowCount)
        #expect(try reader.next() == nil)
    }

    @Test("an empty recording and a folder are refused with a clear error")
    func refusals() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wam-windowing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: WorkflowError.self) { try InputReader(url: folder, exampleShape: [1, 16000], sampleRate: 16000, hop: nil) }
        do {
            _ = try InputReader(url: folder, exampleShape: [1, 16000], sampleRate: 16000, hop: nil)
        } catch {
            #expect("\(error)".contains("is a folder"))
        }
        let empty = folder.appendingPathComponent("empty.wav")
        try AudioFile.writeWAV([], sampleRate: 16000, to: empty)
        do {
            _ = try InputReader(url: empty, exampleShape: [1, 16000], sampleRate: 16000, hop: nil)
            Issue.record("an empty recording was accepted")
        } catch {
            #expect("\(error)".contains("holds no audio frames"))
        }
    }
}

import Attribution
import Foundation
import Testing

@testable import Daemon

@Suite struct ConfigurationTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Systemd/wamd.toml")

    @Test("the commented example configuration is valid and sets every key")
    func example() throws {
        let text = try String(contentsOf: Self.example, encoding: .utf8)
        let configuration = try ConfigurationLoader.load(text: text, file: "wamd.toml")
        #expect(configuration.input == "alsa:default")
        #expect(configuration.outputDirectory == "/var/lib/wamd")
        for field in DaemonConfiguration.fields {
            #expect(
                ConfigurationLoader.line(of: field.key, in: field.section, lines: text.components(separatedBy: "\n")) != nil,
                "the example does not document \(field.path)")
        }
    }

    @Test("every error names the key, its line and what was expected")
    func errors() {
        let text = """
            [model]
            path = "m.onnx"
            [gates]
            min_probability = 1.5
            colour = "red"
            [explain]
            steps = 0
            workers = "two"
            """
        do {
            _ = try ConfigurationLoader.load(text: text, file: "bad.toml")
            Issue.record("accepted a bad configuration")
        } catch {
            let lines = error.problems.map(\.description)
            #expect(lines.contains("bad.toml:4: gates.min_probability: expected a number in 0.0...1.0, got 1.5"))
            #expect(lines.contains { $0.hasPrefix("bad.toml:5: gates.colour: unknown key; [gates] has min_dbfs") })
            #expect(lines.contains { $0.hasPrefix("bad.toml:7: explain.steps: expected a number in 1...100000 or `auto`") })
            #expect(lines.contains { $0.hasPrefix("bad.toml:8: explain.workers: expected an integer in 1...64") })
            #expect(error.problems.map(\.line) == [4, 5, 7, 8])
        }
        #expect(throws: ConfigurationErrors.self) { try ConfigurationLoader.load(text: "[gates\nx = 1", file: "syntax.toml") }
    }

    @Test("source.format and log.level are typed: spelled in any case, a bad one names the key and every allowed value")
    func spelledSourceAndLog() throws {
        let text = "[model]\npath = \"m.onnx\"\n[source]\nformat = \"F32LE\"\n[log]\nlevel = \"debug\"\n"
        let configuration = try ConfigurationLoader.load(text: text, file: "f")
        #expect(configuration.rawFormat == .f32le)
        #expect(configuration.logLevel == .debug)
        do {
            _ = try ConfigurationLoader.load(text: text, file: "f", overrides: ["source.format=s24le", "log.level=loud"])
            Issue.record("accepted an unknown format and level")
        } catch {
            let lines = error.problems.map(\.description)
            #expect(lines.contains { $0.contains("source.format: expected one of \"s16le\", \"f32le\"") })
            #expect(lines.contains { $0.contains("log.level: expected one of \"trace\", \"debug\", \"info\"") && $0.contains("\"critical\"") })
        }
    }

    @Test("command-line overrides win over the file and are checked too")
    func overrides() throws {
        let text = "[model]\npath = \"m.onnx\"\n[gates]\nmin_probability = 0.5\n"
        let configuration = try ConfigurationLoader.load(
            text: text, file: "f",
            overrides: [
                "gates.min_probability=0.8", "source.input=-", "gates.classes=[\"piano\", \"drums\"]", "explain.steps=auto",
            ])
        #expect(configuration.minProbability == 0.8)
        #expect(configuration.input == "-")
        #expect(configuration.classes == ["piano", "drums"])
        #expect(configuration.explanation.steps == .auto)
        #expect(throws: ConfigurationErrors.self) {
            try ConfigurationLoader.load(text: text, file: "f", overrides: ["gates.nothing=1"])
        }
        #expect(throws: ConfigurationErrors.self) {
            try ConfigurationLoader.load(text: text, file: "f", overrides: ["explain.workers=0"])
        }
        // Unquoted text is text; a quoted value that is not valid TOML is refused, not kept with its quotes.
        #expect(try ConfigurationLoader.load(text: text, file: "f", overrides: ["mqtt.host=broker.lan"]).mqttHost == "broker.lan")
        for bad in [#"mqtt.topic_prefix="wam\u0000x""#, #"mqtt.topic_prefix="a\qb""#, #"mqtt.host="abc"#, "gates.classes=[\"a\""] {
            do {
                _ = try ConfigurationLoader.load(text: text, file: "f", overrides: [bad])
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.problems.contains { $0.description.contains("is not a valid TOML value") }, "\(bad): \(error)")
            }
        }
    }

    @Test("[explain] fills the same request wam explain does: adaptive steps take explain.tolerance and explain.max_steps, not fixed values")
    func explainSection() throws {
        let text = """
            [model]
            path = "m.onnx"
            [explain]
            method = "intgrad"
            steps = "auto"
            tolerance = 0.002
            max_steps = 64
            mode = "Periodization"
            rank = "evidence"
            width = 9
            on_stop = "drop"
            """
        let configuration = try ConfigurationLoader.load(text: text, file: "wamd.toml")
        let settings = try configuration.explanation.settings()
        #expect(settings.method == .intgrad(IntegratedGradientsOptions(steps: .auto(tolerance: 0.002, maxSteps: 64))))
        #expect(settings.mode == .periodization)
        #expect(settings.interpretation == .topEvidence(fraction: 0.1, width: 9))
        #expect(settings.levels == 6)
        #expect(configuration.onStop == .drop)
        for (line, message) in [
            ("steps = \"many\"", "explain.steps: expected a number in 1...100000 or `auto`"),
            ("method = \"magic\"", "explain.method: expected one of \"gradient\", \"smoothgrad\", \"intgrad\""),
            ("on_stop = \"later\"", "explain.on_stop: expected one of \"finish\", \"drop\""),
        ] {
            do {
                _ = try ConfigurationLoader.load(text: "[model]\npath = \"m.onnx\"\n[explain]\n\(line)\n", file: "bad.toml")
                Issue.record("\(line) accepted")
            } catch {
                #expect(error.problems.map(\.description).contains { $0.hasPrefix("bad.toml:4: \(message)") }, "\(error.problems)")
            }
        }
    }

    @Test("sources parse from their text form")
    func sources() throws {
        #expect(try AudioSourceSpecification("alsa:plughw:1,0") == .alsa(device: "plughw:1,0"))
        #expect(try AudioSourceSpecification("-") == .standardInput)
        #expect(try AudioSourceSpecification("spool:/srv/in") == .spool(URL(fileURLWithPath: "/srv/in")))
        #expect(throws: ConfigurationError.self) { try AudioSourceSpecification("usb:1") }
    }
}

@Suite struct TOMLSafetyTests {
    @Test(
        "table headers toml++ would abort on are syntax errors with their line; valid headers and strings are not",
        arguments: [
            ("[=]\n", 1), ("[source]\nrate = 16000\n[#x]\n", 3), ("[\n", 1), ("  [[ =\n", 1), ("[\u{7}]\n", 1),
        ])
    func refusedHeaders(_ text: String, _ line: Int) {
        do {
            _ = try ConfigurationLoader.load(text: text, file: "t.toml")
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.problems.first?.line == line && error.problems.first?.key == "(syntax)", "\(error)")
        }
    }

    @Test("quoted headers, and lines starting with [ inside multi-line strings, still parse")
    func validHeaders() throws {
        let text = """
            [ "source" ]
            input = \"\"\"
            [= not a header, inside a string
            \"\"\"
            ['model']
            path = "m.onnx"
            """
        do {
            _ = try ConfigurationLoader.load(text: text, file: "t.toml")
        } catch {
            // Only the multi-line input value may be refused (it is not a source), never the syntax.
            #expect(error.problems.allSatisfy { $0.key != "(syntax)" }, "\(error)")
        }
    }
}

@Suite struct PipelineUnitTests {
    @Test("gates: loudness, class, probability, per-class rate limit")
    func gates() {
        var gate = ExplanationGate(minDBFS: -40, classes: ["piano"], minProbability: 0.6, maxPerClassPerMinute: 2)
        #expect(gate.decide(dbfs: -50, label: "piano", probability: 0.9, now: 0) == .quiet)
        #expect(gate.decide(dbfs: -10, label: "drums", probability: 0.9, now: 0) == .otherClass)
        #expect(gate.decide(dbfs: -10, label: "piano", probability: 0.5, now: 0) == .unlikely)
        #expect(gate.decide(dbfs: -10, label: "piano", probability: 0.9, now: 0) == .explain)
        #expect(gate.decide(dbfs: -10, label: "piano", probability: 0.9, now: 10) == .explain)
        #expect(gate.decide(dbfs: -10, label: "piano", probability: 0.9, now: 20) == .rateLimited)
        #expect(gate.decide(dbfs: -10, label: "piano", probability: 0.9, now: 61) == .explain)
        #expect(abs(ExplanationGate.dbfs([0.5, -0.5]) - 20 * log10(0.5)) < 1e-9)
        #expect(ExplanationGate.dbfs([0, 0]) == -.infinity)
    }

    @Test("gates.onsets: only the first window of a run passing for a class; a gap or another class starts a new run")
    func onsetGate() {
        var gate = ExplanationGate(minDBFS: -40, classes: [], minProbability: 0.5, maxPerClassPerMinute: 0, onsetsOnly: true)
        let decisions = [
            (-10.0, "speech", 0.9), (-10, "speech", 0.8), (-10, "speech", 0.3), (-10, "speech", 0.7), (-50, "speech", 0.9),
            (-10, "speech", 0.9), (-10, "music", 0.9), (-10, "speech", 0.9),
        ].enumerated().map { index, window in gate.decide(dbfs: window.0, label: window.1, probability: window.2, now: Double(index)) }
        #expect(decisions == [.explain, .continuing, .unlikely, .explain, .quiet, .explain, .explain, .explain])
    }

    @Test("[model] inputs, state, explain_input and output: tables of numbers, .npy paths and output names")
    func modelBindingKeys() throws {
        let text = """
            [model]
            path = "m.onnx"
            inputs = { sr = 16000, gain = 0.5, state = "init.npy" }
            state = { state = "stateN" }
            explain_input = "input"
            output = "output"
            [output]
            dir = "/tmp/x"
            """
        let configuration = try ConfigurationLoader.load(text: text, file: "wamd.toml")
        #expect(configuration.modelInputs == ["sr": "16000", "gain": "0.5", "state": "init.npy"])
        #expect(configuration.modelState == ["state": "stateN"])
        #expect(configuration.explainInput == "input" && configuration.explainOutput == "output")
        for bad in [
            "inputs = { sr = \"fast\" }", "inputs = [16000]", "state = { state = 1 }", "state = \"stateN\"", "state = { state = \"s\\u0000x\" }",
        ] {
            do {
                _ = try ConfigurationLoader.load(text: "[model]\npath = \"m.onnx\"\n\(bad)\n[output]\ndir = \"/tmp/x\"", file: "wamd.toml")
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.problems.contains { ($0.key.hasPrefix("model.") || $0.key == "(syntax)") && $0.line == 3 }, "\(error)")
            }
        }
    }

    @Test("a full queue drops its oldest entries, or makes the producer wait")
    func queue() {
        let queue = BlockingQueue<Int>(capacity: 2, overflow: .dropOldest)
        #expect(queue.push(1) == [])
        #expect(queue.push(2) == [])
        #expect(queue.push(3) == [1])
        #expect(queue.dropped == 1)
        #expect(queue.pop() == 2)
        queue.close()
        #expect(queue.push(4) == nil)
        #expect(queue.pop() == 3)
        #expect(queue.pop() == nil)
        let waiting = BlockingQueue<Int>(capacity: 1, overflow: .wait)
        waiting.push(1)
        let consumer = Thread {
            Thread.sleep(forTimeInterval: 0.05); _ = waiting.pop()
        }
        consumer.start()
        #expect(waiting.push(2) == [])
        #expect(waiting.pop(timeout: 1) == 2)
    }

    @Test("repeated log lines are written once per window, then summarised")
    func repeats() {
        let filter = RepeatFilter(window: 10)
        let start = Date()
        #expect(filter.admit("device lost", level: .error, now: start) == ["device lost"])
        #expect(filter.admit("device lost", level: .error, now: start.addingTimeInterval(1)) == [])
        #expect(filter.admit("device lost", level: .error, now: start.addingTimeInterval(2)) == [])
        #expect(filter.admit("other", level: .error, now: start.addingTimeInterval(3)) == ["other"])
        #expect(filter.admit("device lost", level: .error, now: start.addingTimeInterval(11)) == ["(repeated 2 more times) device lost"])
    }

    @Test("the disk budget deletes oldest first, keeps the newest per class, and drops expired files")
    func budget() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("budget-\(UUID().uuidString)")
        let day = root.appendingPathComponent("alsa-default/2026-01-01")
        try FileManager.default.createDirectory(at: day, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let now = Date()
        func explanation(_ stem: String, age: Double) throws {
            for suffix in [".json", ".wav"] {
                let url = day.appendingPathComponent(stem + suffix)
                try Data(repeating: 7, count: 1000).write(to: url)
                try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-age)], ofItemAtPath: url.path)
            }
        }
        try explanation("100000.000_piano_0.90", age: 500)
        try explanation("100001.000_piano_0.91", age: 400)
        try explanation("100002.000_noise_burst_0.80", age: 300)
        try explanation("100003.000_piano_0.95", age: 200)
        let budget = DiskBudget(root: root, maxBytes: 4000, maxAge: 0, keepNewestPerClass: 1)
        let result = budget.enforce(now: now)
        let left = try FileManager.default.contentsOfDirectory(atPath: day.path).sorted()
        #expect(result.files == 4 && result.bytes == 4000 && result.remaining == 4000)
        #expect(
            left == [
                "100002.000_noise_burst_0.80.json", "100002.000_noise_burst_0.80.wav",
                "100003.000_piano_0.95.json", "100003.000_piano_0.95.wav",
            ])
        let expired = DiskBudget(root: root, maxBytes: 0, maxAge: 250, keepNewestPerClass: 0).enforce(now: now)
        #expect(expired.files == 2)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: day.path).sorted() == ["100003.000_piano_0.95.json", "100003.000_piano_0.95.wav"])
    }
}

import ArgumentParser
import CommandSupport
import Daemon
import Foundation
import Logging
import Workflow

/// `wam-bench mqtt`: what publishing a window costs wamd (the MQTT sink's work on the thread that
/// explained it: the message built, encoded and handed to libmosquitto), next to what the window
/// itself costs (classification and explanation of the bundled model's window, gradient and
/// WAM_IG m = 32), against a real broker on `--port`.
struct MQTTBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqtt", abstract: "Time the MQTT sink per window next to the window's own work (a broker on --port).")

    @Option(help: "The port of a broker on 127.0.0.1.") var port: Int
    @Option(help: "Explained-window messages to publish.") var messages = 3000
    @Option(help: "Windows explained per method for the window's own cost.") var windows = 12

    func validate() throws {
        try Check.range(port, 1...65535, "--port")
        try Check.range(messages, 10...1_000_000, "--messages")
        try Check.range(windows, 1...1000, "--windows")
    }

    func run() throws {
        let modelURL = try Classifier.bundledModel().orThrow(WorkflowError(source: "bench", reason: "the bundled model was not found"))
        let classifier = try Classifier(url: modelURL)
        let sample = modelURL.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("audio/stream-40s.wav")
        var perWindow: [String: Double] = [:]
        var result: WindowResult?
        for (name, method) in [("gradient", ExplanationRequest.Method.gradient), ("WAM_IG m=32", .intgrad)] {
            var request = ExplanationRequest()
            request.method = method
            let explainer = WindowExplainer(classifier: classifier, settings: try request.settings())
            let reader = try InputReader(url: sample, exampleShape: classifier.inputShape, sampleRate: 16000, hop: nil)
            var seconds: [Double] = []
            while seconds.count < windows, let window = try reader.next() {
                let started = DispatchTime.now().uptimeNanoseconds
                result = try explainer.explain(window, of: reader.signal)
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            perWindow[name] = seconds.sorted()[seconds.count / 2]
        }

        var configuration = DaemonConfiguration()
        configuration.input = "-"
        configuration.outputDirectory = FileManager.default.temporaryDirectory.path
        (configuration.mqttEnabled, configuration.mqttHost, configuration.mqttPort) = (true, "127.0.0.1", port)
        (configuration.mqttTopicPrefix, configuration.mqttDiscovery, configuration.mqttQueue) = ("wam/bench", false, messages)
        (configuration.httpEnabled, configuration.httpPublicURL) = (true, "http://box.lan:8080")
        let publisher = try MQTTPublisher(configuration: configuration, logger: Logger(label: "wam-bench"))
        publisher.start()
        defer { publisher.stop() }
        let deadline = Date().addingTimeInterval(10)
        while !publisher.connection.counts.connected && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard publisher.connection.counts.connected, let result else {
            throw WorkflowError(source: "127.0.0.1:\(port)", reason: "no broker answered within 10 s")
        }
        let event = try JSONDecoder().decode(
            WindowEvent.self,
            from: Data(
                """
                {"sequence": 1, "kind": "explained", "time": 0, "source": "stdin", "sampleIndex": 16000, "prediction": "yes",
                 "probability": 0.93, "dbfs": -23.5, "decision": "explain", "top": {"yes": 0.93, "no": 0.04, "piano": 0.01},
                 "document": "stdin/2026-12-07/120000.000_yes_0.93.json"}
                """.utf8))
        // The same with no broker (port 9 is discard, nothing listens): the message built and encoded, then queued.
        var away = configuration
        away.mqttPort = 9
        let offline = try MQTTPublisher(configuration: away, logger: Logger(label: "wam-bench"))
        let building = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<messages { offline.publishExplained(event, result: result) }
        let encoding = Double(DispatchTime.now().uptimeNanoseconds - building) / 1e9 / Double(messages)

        let started = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<messages { publisher.publishExplained(event, result: result) }
        let publishing = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / Double(messages)
        while publisher.connection.counts.queued > 0 && Date() < deadline.addingTimeInterval(60) { Thread.sleep(forTimeInterval: 0.01) }
        let delivered = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        print(
            String(
                format:
                    "mqtt: %d explained-window messages, %.1f us each on the publishing thread (%.1f us of it building and encoding); all sent in %.2f s",
                messages, publishing * 1e6, encoding * 1e6, delivered))
        for (name, seconds) in perWindow.sorted(by: { $0.value < $1.value }) {
            print(
                String(
                    format: "window (%@): %.2f ms to classify and explain; one message adds %.3f %%", name, seconds * 1e3, 100 * publishing / seconds)
            )
        }
    }
}

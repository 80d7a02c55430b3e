import Foundation
import Rendering
import Testing

/// The dashboard in headless Chromium, against the shared daemon.
@Suite struct DashboardTests {
    /// Where the screenshots go (CI keeps `.build/artifacts`).
    static let artifacts = LiveFixture.samples.deletingLastPathComponent().appendingPathComponent(".build/artifacts")

    /// Polls `condition` every 200 ms, `timeout` seconds' worth of polls (see `waitFor`).
    static func until(_ what: String, timeout: Double = 120, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<Int(timeout * 5) {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        if try await !condition() { throw RawHTTP.Failure("timed out waiting for \(what)") }
    }

    @Test(
        "live windows, scale profile bars, scalogram and both players render without console errors, on a desktop and a phone",
        .enabled(if: Chromium.executable != nil, "chromium is not installed; Tools/setup-system.sh installs the Debian package"))
    func dashboard() async throws {
        let fixture = try await LiveFixture.shared.value
        let browser = try Chromium()
        do {
            try await Self.check(browser, fixture)
        } catch {
            await browser.close()
            throw error
        }
        await browser.close()
    }

    static func check(_ browser: Chromium, _ fixture: LiveFixture) async throws {
        let target = try await browser.send("Target.createTarget", ["url": "about:blank"])
        let attached = try await browser.send("Target.attachToTarget", ["targetId": try #require(target["targetId"] as? String), "flatten": true])
        let session = try #require(attached["sessionId"] as? String)
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] { try await browser.send(domain, session: session) }
        try await browser.send(
            "Emulation.setDeviceMetricsOverride", ["width": 1280, "height": 1300, "deviceScaleFactor": 1, "mobile": false],
            session: session)
        try await browser.send("Page.navigate", ["url": "http://127.0.0.1:\(fixture.port)/"], session: session)
        func value(_ expression: String) async throws -> Any? { try await browser.evaluate(expression, session: session) }

        try await until("the event stream to open") { try await value("document.body && document.body.dataset.events") as? String == "open" }
        try fixture.feed("audio/piano.wav")
        try await until("live windows") { (try await value("Number(document.body.dataset.liveEvents || 0)") as? Int ?? 0) >= 2 }
        try await until("the strip to draw the windows") {
            (try await value("Number(document.getElementById('strip').dataset.windows)") as? Int ?? 0) > 40
        }
        try await until("the scale profile bars") {
            try await value("[...document.querySelectorAll('#profile .bar')].filter(b => b.getBoundingClientRect().width > 0).length") as? Int == 7
        }
        #expect(try await value("document.querySelector('#profile li .band').textContent") as? String == "0 Hz–125 Hz")
        try await until("both players to load their audio") {
            let players = try await value("[...document.querySelectorAll('audio')].map(a => [a.readyState, a.duration])") as? [[Double]] ?? []
            return players.count == 2 && players.allSatisfy { $0[0] >= 1 && abs($0[1] - 1) < 0.01 }
        }
        try await until("the scalogram") { try await value("document.getElementById('scalogram').naturalWidth") as? Int == 960 }
        #expect(try await value("document.querySelectorAll('#recent-list button').length") as? Int ?? 0 > 0)
        #expect(try await value("document.querySelectorAll('#health-list dt').length") as? Int == 6)
        #expect(try await value("document.getElementById('status').textContent") as? String == "ok")
        #expect(try await value("document.getElementById('login').hidden") as? Bool == true)
        try await screenshot(browser, session: session, to: "dashboard.png", width: 1280)

        // A phone: one column, nothing wider than the screen.
        try await browser.send(
            "Emulation.setDeviceMetricsOverride", ["width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true],
            session: session)
        try await until("the phone layout") { try await value("window.innerWidth") as? Int == 390 }
        #expect(try await value("document.documentElement.scrollWidth") as? Int == 390)
        #expect(try await value("document.querySelector('#profile .bar').getBoundingClientRect().width > 0") as? Bool == true)
        #expect(try await value("document.getElementById('interpretation-audio').getBoundingClientRect().right <= 390") as? Bool == true)
        try await screenshot(browser, session: session, to: "dashboard-phone.png", width: 780)

        let problems = browser.events.compactMap(Self.problem)
        #expect(problems.isEmpty, "console: \(problems)")
    }

    /// A console error, uncaught exception or browser log error (failed loads, security policy).
    static func problem(_ event: [String: Any]) -> String? {
        let params = event["params"] as? [String: Any] ?? [:]
        switch event["method"] as? String {
        case "Runtime.exceptionThrown":
            return "\(params["exceptionDetails"] ?? "exception")"
        case "Runtime.consoleAPICalled" where ["error", "assert"].contains(params["type"] as? String):
            return "\(params["args"] ?? "console error")"
        case "Log.entryAdded":
            let entry = params["entry"] as? [String: Any] ?? [:]
            return entry["level"] as? String == "error" ? "\(entry["text"] ?? "log error") \(entry["url"] ?? "")" : nil
        default:
            return nil
        }
    }

    /// Saves the whole page as a PNG under `.build/artifacts` and checks that it decodes.
    static func screenshot(_ browser: Chromium, session: String, to name: String, width: Int) async throws {
        let metrics = try await browser.send("Page.getLayoutMetrics", session: session)
        let size = try #require(metrics["cssContentSize"] as? [String: Any])
        let shot = try await browser.send(
            "Page.captureScreenshot",
            [
                "format": "png", "captureBeyondViewport": true,
                "clip": ["x": 0, "y": 0, "width": size["width"] ?? 0, "height": size["height"] ?? 0, "scale": 1],
            ], session: session)
        let encoded = try #require(shot["data"] as? String)
        let data = try #require(Data(base64Encoded: encoded))
        let picture = try PNGCodec.decodeGrey(data, name: name)
        #expect(picture.width == width)
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        try data.write(to: artifacts.appendingPathComponent(name))
    }
}

import Foundation

/// The picture of an audio explanation: the waveform (input in grey, interpretation in colour)
/// over a time x scale heat map of `|a|`, with labelled levels, frequency bands and time axis.
public struct AudioPlot: Sendable {
    /// One heat-map row (a level), top to bottom from the finest level.
    public struct Row: Sendable {
        public let label: String
        public let values: [Float]

        public init(label: String, values: [Float]) {
            self.label = label
            self.values = values
        }
    }

    public var title: String
    public var subtitle: String
    public var sampleRate: Double
    public var input: [Float]
    public var interpretation: [Float]?
    public var rows: [Row]

    public init(title: String, subtitle: String, sampleRate: Double, input: [Float], interpretation: [Float]?, rows: [Row]) {
        self.title = title
        self.subtitle = subtitle
        self.sampleRate = sampleRate
        self.input = input
        self.interpretation = interpretation
        self.rows = rows
    }

    /// Draws the plot `width` pixels wide.
    public func render(width: Int = 960) -> Raster {
        let left = 150, right = 80, top = 46, wave = 110, gap = 12, bottom = 40
        let rowHeight = max(14, min(28, 260 / max(rows.count, 1)))
        let mapHeight = rowHeight * rows.count
        let plotWidth = width - left - right
        var raster = Raster(width: width, height: top + wave + gap + mapHeight + bottom)
        raster.text(title, x: left, y: 6)
        raster.text(subtitle, x: left, y: 24, .grey)

        // Waveform panel.
        raster.outline(x: left - 1, y: top - 1, width: plotWidth + 2, height: wave + 2, .lightGrey)
        let scale = max(input.map(abs).max() ?? 1, interpretation?.map(abs).max() ?? 0, 1e-6)
        drawWave(input, into: &raster, x: left, y: top, width: plotWidth, height: wave, scale: scale, color: .grey)
        if let interpretation {
            drawWave(interpretation, into: &raster, x: left, y: top, width: plotWidth, height: wave, scale: scale, color: .accent)
        }
        raster.text("input", x: left - 8, y: top + 4, .grey, anchor: 1)
        if interpretation != nil { raster.text("kept", x: left - 8, y: top + 22, .accent, anchor: 1) }

        // Heat map, square-root scaled so that weak but present attributions stay visible.
        let mapTop = top + wave + gap
        let peak = rows.flatMap(\.values).max() ?? 0
        for (r, row) in rows.enumerated() {
            for column in 0..<plotWidth {
                let bin = min(row.values.count - 1, column * row.values.count / plotWidth)
                let value = peak > 0 && bin >= 0 ? Double(row.values[bin] / peak).squareRoot() : 0
                raster.fill(x: left + column, y: mapTop + r * rowHeight, width: 1, height: rowHeight, ColorMap.viridis(value))
            }
            raster.text(row.label, x: left - 8, y: mapTop + r * rowHeight + (rowHeight - BitmapFont.glyphHeight) / 2, anchor: 1)
        }

        // Time axis.
        let duration = Double(input.count) / sampleRate
        let step = Self.niceStep(duration / 8)
        var tick = 0.0
        while tick <= duration + 1e-9 {
            let x = left + Int((tick / max(duration, 1e-9)) * Double(plotWidth - 1))
            raster.fill(x: x, y: mapTop + mapHeight, width: 1, height: 5, .black)
            raster.text(Self.format(tick), x: x, y: mapTop + mapHeight + 7, anchor: 0.5)
            tick += step
        }
        raster.text("time (s)", x: left + plotWidth, y: mapTop + mapHeight + 22, .grey, anchor: 1)

        // Colour bar.
        let barX = left + plotWidth + 24
        for y in 0..<mapHeight {
            raster.fill(x: barX, y: mapTop + y, width: 12, height: 1, ColorMap.viridis(1 - Double(y) / Double(max(mapHeight - 1, 1))))
        }
        raster.text("max", x: barX + 15, y: mapTop)
        raster.text("0", x: barX + 15, y: mapTop + mapHeight - BitmapFont.glyphHeight)
        raster.verticalText("|a| (sqrt)", x: barX + 16, y: mapTop + mapHeight - 20, .grey)
        return raster
    }

    /// `value` within [-1, 1]; NaN as 0.
    static func clamped(_ value: Double) -> Double {
        value.isNaN ? 0 : min(1, max(-1, value))
    }

    private func drawWave(
        _ samples: [Float], into raster: inout Raster, x: Int, y: Int, width: Int, height: Int,
        scale: Float, color: Color
    ) {
        guard !samples.isEmpty else { return }
        let middle = Double(y) + Double(height) / 2, half = Double(height) / 2 - 2
        for column in 0..<width {
            let from = column * samples.count / width, to = max(from + 1, (column + 1) * samples.count / width)
            let slice = samples[from..<min(to, samples.count)]
            // Clamped to the panel: NaN, infinities and clipping peaks draw at its edges, never trap.
            let low = Self.clamped(Double(slice.min()! / scale)), high = Self.clamped(Double(slice.max()! / scale))
            let top = Int((middle - high * half).rounded()), bottom = Int((middle - low * half).rounded())
            raster.fill(x: x + column, y: top, width: 1, height: max(1, bottom - top + 1), color)
        }
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        return [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(format: "%.0f", seconds) : String(format: "%g", (seconds * 1000).rounded() / 1000)
    }
}

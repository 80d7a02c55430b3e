/// Heat maps over images and volume slices: a grid of panels, each a 2D map drawn over an
/// optional grey background, with a caption.
public struct MapPlot: Sendable {
    /// One panel: `values` is `height x width`, row-major.
    public struct Panel: Sendable {
        public let caption: String
        public let width: Int
        public let height: Int
        public let values: [Float]
        /// Drawn in grey under the heat map (same size), or alone when `values` is empty.
        public let background: [Float]?

        public init(caption: String, width: Int, height: Int, values: [Float], background: [Float]?) {
            self.caption = caption
            self.width = width
            self.height = height
            self.values = values
            self.background = background
        }
    }

    public var title: String
    public var subtitle: String
    public var panels: [Panel]
    public var columns: Int

    public init(title: String, subtitle: String, panels: [Panel], columns: Int) {
        self.title = title
        self.subtitle = subtitle
        self.panels = panels
        self.columns = columns
    }

    /// Draws the panels `cell` pixels square each.
    public func render(cell: Int = 160) -> Raster {
        let margin = 12, caption = 20, top = 46
        let rows = (panels.count + columns - 1) / columns
        let width = max(columns * (cell + margin) + margin, 8 * max(title.count, subtitle.count) + 2 * margin)
        var raster = Raster(width: width, height: top + rows * (cell + caption + margin) + margin)
        raster.text(title, x: margin, y: 6)
        raster.text(subtitle, x: margin, y: 24, .grey)
        for (index, panel) in panels.enumerated() {
            let x0 = margin + (index % columns) * (cell + margin)
            let y0 = top + (index / columns) * (cell + caption + margin)
            let peak = panel.values.max() ?? 0
            let backgroundRange = panel.background.map { ($0.min() ?? 0, $0.max() ?? 1) }
            for y in 0..<cell {
                for x in 0..<cell {
                    let source = (y * panel.height / cell) * panel.width + x * panel.width / cell
                    var color = Color.white
                    if let background = panel.background, let (low, high) = backgroundRange {
                        let level = UInt8((Double((background[source] - low) / max(high - low, 1e-12)) * 255).rounded())
                        color = Color(level, level, level)
                    }
                    raster.blend(x: x0 + x, y: y0 + y, color)
                    if !panel.values.isEmpty, peak > 0 {
                        let t = Double(panel.values[source] / peak).squareRoot()
                        raster.blend(x: x0 + x, y: y0 + y, ColorMap.viridis(t), coverage: panel.background == nil ? 1 : 0.35 + 0.6 * t)
                    }
                }
            }
            raster.outline(x: x0 - 1, y: y0 - 1, width: cell + 2, height: cell + 2, .lightGrey)
            raster.text(panel.caption, x: x0 + cell / 2, y: y0 + cell + 4, anchor: 0.5)
        }
        return raster
    }
}

/// An RGB colour.
public struct Color: Sendable, Equatable {
    public var red: UInt8, green: UInt8, blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public static let white = Color(255, 255, 255)
    public static let black = Color(0, 0, 0)
    public static let grey = Color(150, 150, 150)
    public static let lightGrey = Color(225, 225, 225)
    public static let accent = Color(220, 80, 30)
}

/// An 8-bit RGB image to draw plots on.
public struct Raster: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGB bytes.
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0)
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: background.red, count: width * height * 3)
        if background.green != background.red || background.blue != background.red { fill(x: 0, y: 0, width: width, height: height, background) }
    }

    /// The colour at a pixel.
    public func color(x: Int, y: Int) -> Color {
        let i = (y * width + x) * 3
        return Color(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Paints one pixel mixed with what is there by `coverage` in [0, 1]; outside pixels are ignored.
    public mutating func blend(x: Int, y: Int, _ color: Color, coverage: Double = 1) {
        guard x >= 0, y >= 0, x < width, y < height, coverage > 0 else { return }
        let i = (y * width + x) * 3, c = min(coverage, 1)
        if c == 1 {
            (pixels[i], pixels[i + 1], pixels[i + 2]) = (color.red, color.green, color.blue)
            return
        }
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 { UInt8((Double(old) * (1 - c) + Double(new) * c).rounded()) }
        pixels[i] = mix(pixels[i], color.red)
        pixels[i + 1] = mix(pixels[i + 1], color.green)
        pixels[i + 2] = mix(pixels[i + 2], color.blue)
    }

    /// Fills a rectangle (clipped to the image).
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ color: Color) {
        let (columns, rows) = (max(0, x)..<max(max(0, x), min(width, x + w)), max(0, y)..<max(max(0, y), min(height, y + h)))
        let stride = width * 3
        pixels.withUnsafeMutableBufferPointer { bytes in
            for row in rows {
                var i = row * stride + columns.lowerBound * 3
                for _ in columns {
                    (bytes[i], bytes[i + 1], bytes[i + 2]) = (color.red, color.green, color.blue)
                    i += 3
                }
            }
        }
    }

    /// A one-pixel rectangle outline.
    public mutating func outline(x: Int, y: Int, width w: Int, height h: Int, _ color: Color) {
        fill(x: x, y: y, width: w, height: 1, color)
        fill(x: x, y: y + h - 1, width: w, height: 1, color)
        fill(x: x, y: y, width: 1, height: h, color)
        fill(x: x + w - 1, y: y, width: 1, height: h, color)
    }

    /// Writes `text` with its top-left corner at (x, y); `anchor` shifts it left by that fraction
    /// of its width (0.5 centres, 1 right-aligns).
    public mutating func text(_ text: String, x: Int, y: Int, _ color: Color = .black, anchor: Double = 0) {
        let glyphs = Array(text.unicodeScalars)
        var left = x - Int(anchor * Double(glyphs.count * BitmapFont.glyphWidth))
        for scalar in glyphs {
            let code = Int(scalar.value)
            let index = (32...126).contains(code) ? code - 32 : Int(("?" as Unicode.Scalar).value) - 32
            let size = BitmapFont.glyphWidth * BitmapFont.glyphHeight
            for row in 0..<BitmapFont.glyphHeight {
                for column in 0..<BitmapFont.glyphWidth {
                    let coverage = BitmapFont.coverage[index * size + row * BitmapFont.glyphWidth + column]
                    if coverage > 0 { blend(x: left + column, y: y + row, color, coverage: Double(coverage) / 255) }
                }
            }
            left += BitmapFont.glyphWidth
        }
    }

    /// Writes `text` rotated a quarter turn anticlockwise, reading upwards from (x, y).
    public mutating func verticalText(_ text: String, x: Int, y: Int, _ color: Color = .black) {
        var label = Raster(width: max(1, text.count * BitmapFont.glyphWidth), height: BitmapFont.glyphHeight)
        label.text(text, x: 0, y: 0)
        for row in 0..<label.height {
            for column in 0..<label.width {
                let value = label.color(x: column, y: row).red
                if value < 255 { blend(x: x + row, y: y - column, color, coverage: Double(255 - value) / 255) }
            }
        }
    }
}

/// The bitmap glyphs of `FontTable.swift`.
enum BitmapFont {}

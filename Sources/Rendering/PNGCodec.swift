import CPNG
import Foundation

/// PNG encoding and decoding through libpng's simplified API.
public enum PNGCodec {
    /// The PNG bytes of an RGB raster, compressed for speed (libpng's fast zlib level and
    /// filter choice): pictures are written per window, and a fifth of an explanation went into
    /// compressing them at the default level.
    public static func encode(_ raster: Raster) -> Data {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(raster.width)
        image.height = UInt32(raster.height)
        image.format = UInt32(PNG_FORMAT_RGB)
        image.flags = UInt32(PNG_IMAGE_FLAG_FAST)
        // Written once into a buffer of libpng's upper bound (PNG_IMAGE_PNG_SIZE_MAX, which Swift
        // cannot import): the raw rows, zlib's worst-case growth, and the chunks around them.
        let rawBytes = (raster.width * 3 + 1) * raster.height
        var size = rawBytes + rawBytes / 8 + rawBytes / 64 + 4096
        var data = Data(count: size)
        var ok = data.withUnsafeMutableBytes { out in
            raster.pixels.withUnsafeBufferPointer { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        if ok == 0, size > data.count {  // the bound was short after all: libpng said how much it needs
            data = Data(count: size)
            image.warning_or_error = 0
            ok = data.withUnsafeMutableBytes { out in
                raster.pixels.withUnsafeBufferPointer { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
            }
        }
        precondition(ok != 0, "libpng refused a valid raster")
        return data.prefix(size)
    }

    /// A greyscale image decoded from PNG bytes: values in [0, 1], row-major, with its size.
    public static func decodeGrey(_ data: Data, name: String) throws -> (width: Int, height: Int, values: [Float]) {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw PNGError(file: name, reason: message(image)) }
        image.format = UInt32(PNG_FORMAT_GRAY)
        var pixels = [UInt8](repeating: 0, count: Int(image.width * image.height))
        let finished = pixels.withUnsafeMutableBufferPointer { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard finished != 0 else { throw PNGError(file: name, reason: message(image)) }
        return (Int(image.width), Int(image.height), pixels.map { Float($0) / 255 })
    }

    private static func message(_ image: png_image) -> String {
        var copy = image.message
        return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// Why a PNG could not be read or written.
public struct PNGError: Error, CustomStringConvertible {
    public let file: String
    public let reason: String

    public var description: String { "\(file): not a readable PNG (\(reason))" }
}

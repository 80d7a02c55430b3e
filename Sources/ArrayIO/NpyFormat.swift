import Foundation
import NDArray

/// Encodes and decodes NumPy's `.npy` format (versions 1.0, 2.0 and 3.0).
///
/// Reads little- and big-endian floating point (`f2` is not supported), signed and unsigned
/// integers and booleans, in C or Fortran order; integers and booleans come back as `int64`.
/// Writes little-endian, C order, version 1.0 (2.0 when the header needs it).
public enum NpyFormat {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// Decodes the bytes of an `.npy` file; `name` is used in error messages.
    public static func decode(_ data: Data, name: String) throws(ArrayIOError) -> NpyArray {
        func fail(_ reason: String) -> ArrayIOError { ArrayIOError(file: name, reason: reason) }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a NumPy .npy file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated .npy header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw fail("unsupported .npy format version \(major); expected 1, 2 or 3")
        }
        guard bytes.count >= headerStart + headerLength else { throw fail("truncated .npy header") }
        let encoding: String.Encoding = major == 3 ? .utf8 : .isoLatin1
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: encoding) else {
            throw fail("unreadable .npy header")
        }
        let descr = try headerValue(header, key: "descr", name: name)
        let fortran = try headerValue(header, key: "fortran_order", name: name) == "True"
        let shape = try parseShape(try headerValue(header, key: "shape", name: name), name: name)
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        guard let kind = ElementKind(descr: dtype) else {
            throw fail("unsupported dtype '\(dtype)'; expected float32/float64 or an integer or bool type")
        }
        // The extents' product (zeros counted as 1, as strides see them) and the byte count must
        // fit in Int; the element count is then no larger than that product.
        var extentProduct = 1, count = 1
        for extent in shape {
            let (product, overflow) = extentProduct.multipliedReportingOverflow(by: Swift.max(extent, 1))
            guard !overflow else { throw fail("shape \(shape) is too large") }
            extentProduct = product
            count *= extent
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: kind.size)
        guard !overflow else { throw fail("shape \(shape) of \(dtype) is too large") }
        let payload = headerStart + headerLength
        guard bytes.count - payload >= byteCount else {
            throw fail(
                "truncated data: shape \(shape) of \(dtype) needs \(byteCount) bytes, "
                    + "found \(bytes.count - payload)")
        }
        let raw = bytes[payload..<(payload + byteCount)]
        var array: NpyArray
        switch kind.type {
        case .float:
            if kind.size == 4 {
                array = .float32(NDArray(shape: shape, storage: kind.values(raw) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }))
            } else {
                array = .float64(NDArray(shape: shape, storage: kind.values(raw) { Double(bitPattern: $0) }))
            }
        case .signed:
            let bits = UInt64(kind.size * 8)
            array = .int64(
                NDArray(
                    shape: shape,
                    storage: kind.values(raw) { value in
                        bits == 64 ? Int64(bitPattern: value) : Int64(bitPattern: value << (64 - bits)) >> (64 - bits)
                    }))
        case .unsigned:
            array = .int64(NDArray(shape: shape, storage: kind.values(raw) { Int64(truncatingIfNeeded: $0) }))
        }
        if fortran && shape.count > 1 { array = fromFortranOrder(array) }
        return array
    }

    /// Encodes an array as `.npy` bytes.
    public static func encode(_ array: NpyArray) -> Data {
        let descr: String
        var body = Data()
        switch array {
        case let .float32(a):
            descr = "<f4"
            body.reserveCapacity(a.count * 4)
            for v in a.storage { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
        case let .float64(a):
            descr = "<f8"
            body.reserveCapacity(a.count * 8)
            for v in a.storage { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
        case let .int64(a):
            descr = "<i8"
            body.reserveCapacity(a.count * 8)
            for v in a.storage { withUnsafeBytes(of: v.littleEndian) { body.append(contentsOf: $0) } }
        }
        let shape = array.shape
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let version: UInt8 = header.utf8.count + 11 > 65535 ? 2 : 1
        let prefix = version == 1 ? 10 : 12
        let padding = (64 - (prefix + header.utf8.count + 1) % 64) % 64
        header += String(repeating: " ", count: padding) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [version, 0])
        let length = header.utf8.count
        if version == 1 {
            data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        } else {
            data.append(contentsOf: (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) })
        }
        data.append(contentsOf: Array(header.utf8))
        data.append(body)
        return data
    }

    private static func headerValue(_ header: String, key: String, name: String) throws(ArrayIOError) -> String {
        guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\""),
            let colon = header[keyRange.upperBound...].firstIndex(of: ":")
        else {
            throw ArrayIOError(file: name, reason: "the .npy header has no '\(key)' entry")
        }
        let rest = header[header.index(after: colon)...].drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else {
                throw ArrayIOError(file: name, reason: "malformed shape in the .npy header")
            }
            return String(rest[...close])
        }
        let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) ?? rest.endIndex
        return rest[..<end].trimmingCharacters(in: .whitespaces)
    }

    private static func parseShape(_ text: String, name: String) throws(ArrayIOError) -> [Int] {
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            guard !trimmed.isEmpty else { continue }
            guard let extent = Int(trimmed), extent >= 0 else {
                throw ArrayIOError(file: name, reason: "malformed shape \(text) in the .npy header")
            }
            shape.append(extent)
        }
        return shape
    }

    private static func fromFortranOrder(_ array: NpyArray) -> NpyArray {
        func reorder<E>(_ a: NDArray<E>) -> NDArray<E> {
            let shape = a.shape
            let reversed = Array(shape.reversed())
            let strides = NDArrayGeometry.strides(of: reversed)
            var out = a.storage
            var index = Array(repeating: 0, count: shape.count)
            for flat in 0..<a.count {
                // index is the C-order multi-index of `flat`; its element sits at the reversed
                // multi-index in the Fortran-ordered storage.
                var source = 0
                for axis in 0..<shape.count { source += index[axis] * strides[shape.count - 1 - axis] }
                out[flat] = a.storage[source]
                var axis = shape.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
            return NDArray(shape: shape, storage: out)
        }
        switch array {
        case let .float32(a): return .float32(reorder(a))
        case let .float64(a): return .float64(reorder(a))
        case let .int64(a): return .int64(reorder(a))
        }
    }
}

/// The element type named by an `.npy` `descr` such as `<f4` or `|u1`.
private struct ElementKind {
    enum Category { case float, signed, unsigned }
    let type: Category
    let size: Int
    let bigEndian: Bool

    init?(descr: String) {
        guard descr.count >= 3, let order = descr.first, let code = descr.dropFirst().first,
            let size = Int(descr.dropFirst(2))
        else { return nil }
        bigEndian = order == ">"
        guard "<>|=".contains(order) else { return nil }
        switch (code, size) {
        case ("f", 4), ("f", 8): type = .float
        case ("i", 1), ("i", 2), ("i", 4), ("i", 8): type = .signed
        case ("u", 1), ("u", 2), ("u", 4), ("u", 8), ("b", 1): type = .unsigned
        default: return nil
        }
        self.size = size
    }

    /// Reads each element as an unsigned integer of `size` bytes and converts it.
    func values<E>(_ raw: ArraySlice<UInt8>, _ convert: (UInt64) -> E) -> [E] {
        var result: [E] = []
        result.reserveCapacity(raw.count / size)
        var position = raw.startIndex
        while position < raw.endIndex {
            var value: UInt64 = 0
            for byte in 0..<size {
                let shift = bigEndian ? 8 * (size - 1 - byte) : 8 * byte
                value |= UInt64(raw[position + byte]) << shift
            }
            result.append(convert(value))
            position += size
        }
        return result
    }
}

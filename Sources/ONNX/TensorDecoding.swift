import Foundation

extension ConstantTensor {
    /// Decodes an ONNX `TensorProto`, reading external data relative to `directory`.
    init(decoding proto: Onnx_TensorProto, externalDataDirectory directory: URL?) throws(ONNXError) {
        let type = DataType(code: proto.dataType)
        let shape = proto.dims.map { Int($0) }
        let name = proto.name.isEmpty ? "(unnamed)" : proto.name
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidModel(reason: "tensor '\(name)' has negative dimensions \(shape)")
        }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw .invalidModel(reason: "tensor '\(name)' has dimensions \(shape) whose product overflows") }
            count = product
        }
        var raw: Data? = proto.hasRawData ? proto.rawData : nil
        if proto.dataLocation == .external {
            // No element type takes more than 8 bytes: the file is never read past what the dims need.
            let (limit, overflow) = count.multipliedReportingOverflow(by: 8)
            guard !overflow else { throw .invalidModel(reason: "tensor '\(name)' has dimensions \(shape) whose byte size overflows") }
            raw = try Self.externalData(of: proto, name: name, directory: directory, maxBytes: limit)
        }
        func read<Stored: FixedWidthInteger, Value>(
            _ stored: Stored.Type, _ convert: (Stored) -> Value,
            field: @autoclosure () -> [Value]
        ) throws(ONNXError) -> [Value] {
            guard let raw else { return field() }
            return try Self.unpack(raw, as: Stored.self, count: count, name: name).map(convert)
        }
        let small = proto.int32Data.map(Int64.init)  // Narrow integer types travel in int32_data.
        let elements: Elements
        switch type {
        case .float: elements = .float(try read(UInt32.self, Float.init(bitPattern:), field: proto.floatData))
        case .double: elements = .otherFloat(try read(UInt64.self, Double.init(bitPattern:), field: proto.doubleData))
        case .float16:
            elements = .otherFloat(
                try read(
                    UInt16.self, { Double(Self.halfToFloat($0)) },
                    field: proto.int32Data.map { Double(Self.halfToFloat(UInt16(truncatingIfNeeded: $0))) }))
        case .bfloat16:
            elements = .otherFloat(
                try read(
                    UInt16.self, { Double(Float(bitPattern: UInt32($0) << 16)) },
                    field: proto.int32Data.map { Double(Float(bitPattern: UInt32(truncatingIfNeeded: $0) << 16)) }))
        case .int64: elements = .integer(try read(Int64.self, { $0 }, field: proto.int64Data))
        case .int32: elements = .integer(try read(Int32.self, Int64.init, field: small))
        case .int16: elements = .integer(try read(Int16.self, Int64.init, field: small))
        case .uint16: elements = .integer(try read(UInt16.self, Int64.init, field: small))
        case .int8: elements = .integer(try read(Int8.self, Int64.init, field: small))
        case .uint8, .bool: elements = .integer(try read(UInt8.self, Int64.init, field: small))
        case .uint32: elements = .integer(try read(UInt32.self, Int64.init, field: proto.uint64Data.map { Int64(truncatingIfNeeded: $0) }))
        case .uint64:
            elements = .integer(
                try read(UInt64.self, { Int64(truncatingIfNeeded: $0) }, field: proto.uint64Data.map { Int64(truncatingIfNeeded: $0) }))
        case .string, .complex64, .complex128, .undefined:
            throw .nonFloatTensor(
                tensor: name, dataType: type == .undefined ? "of data type \(proto.dataType)" : type.name,
                context: "an initializer or constant the engine cannot hold")
        }
        let decodedCount: Int
        switch elements {
        case let .float(values): decodedCount = values.count
        case let .integer(values): decodedCount = values.count
        case let .otherFloat(values): decodedCount = values.count
        }
        guard decodedCount == count else {
            throw .invalidModel(reason: "tensor '\(name)' of shape \(shape) holds \(decodedCount) values; expected \(count)")
        }
        self.init(shape: shape, dataType: type, elements: elements)
    }

    /// Little-endian values of `type` from `data`.
    private static func unpack<T: FixedWidthInteger>(_ data: Data, as type: T.Type, count: Int, name: String) throws(ONNXError) -> [T] {
        try checkSize(data, count: count, width: MemoryLayout<T>.size, name: name)
        return data.withUnsafeBytes { bytes in
            (0..<count).map { T(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
    }

    private static func checkSize(_ data: Data, count: Int, width: Int, name: String) throws(ONNXError) {
        guard data.count == count * width else {
            throw .invalidModel(reason: "tensor '\(name)' has \(data.count) bytes of data; expected \(count * width) for \(count) elements")
        }
    }

    /// IEEE half-precision bits to single precision.
    private static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F), fraction = Float(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    /// The bytes an external-data tensor refers to (`location`, `offset`, `length` keys): at most
    /// `maxBytes` (plus one, so that too much data is reported as such), from a regular file
    /// inside the model's folder, as ONNX requires (a relative path without `..`).
    private static func externalData(
        of proto: Onnx_TensorProto, name: String, directory: URL?,
        maxBytes: Int
    ) throws(ONNXError) -> Data {
        let entries = Dictionary(proto.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard let location = entries["location"], !location.isEmpty else {
            throw .invalidModel(reason: "tensor '\(name)' is marked external but names no location")
        }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains(".."), !location.contains("\0") else {
            throw .invalidModel(
                reason: "tensor '\(name)' has external data at '\(location)'; expected a path inside the model's folder "
                    + "(relative, without '..')")
        }
        func number(_ key: String) throws(ONNXError) -> Int? {
            guard let text = entries[key] else { return nil }
            guard let value = Int(text), value >= 0 else {
                throw .invalidModel(reason: "tensor '\(name)' has external data \(key) '\(text)'; expected a byte count from 0 to \(Int.max)")
            }
            return value
        }
        let offset = try number("offset") ?? 0, length = try number("length")
        if let length, length > maxBytes {
            throw .invalidModel(reason: "tensor '\(name)' has external data of \(length) bytes; its dimensions need at most \(maxBytes)")
        }
        guard let directory else {
            throw .missingExternalData(tensor: name, file: location, reason: "cannot be found (the model was loaded from memory)")
        }
        let url = directory.appendingPathComponent(location)
        var status = stat()
        guard stat(url.path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, let handle = try? FileHandle(forReadingFrom: url) else {
            throw .missingExternalData(tensor: name, file: url.path, reason: "does not exist, is not a regular file or cannot be read")
        }
        defer { try? handle.close() }
        let data: Data?
        do {
            try handle.seek(toOffset: UInt64(offset))
            data = try handle.read(upToCount: length ?? (maxBytes + 1))
            if let length, data?.count ?? 0 != length {
                throw ONNXError.missingExternalData(tensor: name, file: url.path, reason: "ends before the \(length) bytes at offset \(offset)")
            }
        } catch let error as ONNXError {
            throw error
        } catch {
            throw .missingExternalData(tensor: name, file: url.path, reason: "cannot be read (\(error))")
        }
        return data ?? Data()
    }
}

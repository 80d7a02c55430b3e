/// ONNX `TensorProto.DataType`, for decoding and for messages.
enum DataType: Int32, Sendable {
    case undefined = 0, float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7, string = 8, bool = 9,
        float16 = 10, double = 11, uint32 = 12, uint64 = 13, complex64 = 14, complex128 = 15, bfloat16 = 16

    /// The type of a raw enum value, `.undefined` for values this engine does not know.
    init(code: Int32) {
        self = DataType(rawValue: code) ?? .undefined
    }

    /// ONNX's lower-case name (`float32` for FLOAT).
    var name: String {
        switch self {
        case .float: "float32"
        case .double: "float64"
        default: "\(self)"
        }
    }

    /// Whether the engine keeps such tensors as integers (shape arithmetic, indices, masks).
    var isInteger: Bool {
        [.uint8, .int8, .uint16, .int16, .int32, .int64, .bool, .uint32, .uint64].contains(self)
    }
}

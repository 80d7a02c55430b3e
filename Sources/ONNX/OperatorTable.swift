/// Compiles one node: reads its inputs and attributes from the compilation, appends operations
/// or folds constants, and returns its outputs in order (fewer when trailing outputs are unsupported).
typealias OperatorHandler = @Sendable (inout Compilation) throws -> [CompiledValue]

/// Every operator the engine implements, by ONNX name.
enum OperatorTable {
    static let handlers: [String: OperatorHandler] = [
        ConvolutionOperators.handlers, PoolingOperators.handlers, ElementwiseOperators.handlers,
        MatrixOperators.handlers, ReductionOperators.handlers, LayoutOperators.handlers,
        NormalizationOperators.handlers, ShapeFolding.handlers, RecurrentOperators.handlers,
        ControlFlowOperators.handlers, SpectralOperators.handlers,
    ].reduce(into: [:]) { table, group in table.merge(group) { first, _ in first } }

    static var supportedOperators: [String] { handlers.keys.sorted() }

    /// The handler for `node`, `nil` when its operator (or domain) is unsupported.
    static func handler(for node: GraphDescription.Node) -> OperatorHandler? {
        node.domain.isEmpty || node.domain == "ai.onnx" ? handlers[node.opType] : nil
    }

    /// `Conv`, or `com.microsoft.FusedConv` for operators outside the default domain.
    static func qualifiedName(_ node: GraphDescription.Node) -> String {
        node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"
    }
}

import ONNX
import Testing

/// What `wam model info` reports.
struct ModelSummaryTests {
    @Test func describesTheExportedResNet() throws {
        let summary = try ONNXModel(contentsOf: Fixtures.url("models/resnet1d.onnx")).summary
        #expect(summary.inputs.map { [$0.name, $0.dataType] + ($0.shape ?? []) } == [["input", "float32", "batch", "1", "16000"]])
        #expect(summary.outputs.map { [$0.name, $0.dataType] + ($0.shape ?? []) } == [["logits", "float32", "batch", "10"]])
        #expect(summary.opset == 17)
        #expect(summary.producer.hasPrefix("pytorch"))
        #expect(summary.operatorCounts == ["Conv": 15, "Relu": 13, "Add": 6, "GlobalAveragePool": 1, "Flatten": 1, "Gemm": 1])
        #expect(summary.parameterCount > 300_000 && summary.parameterCount < 340_000)
        #expect(summary.unsupportedOperators.isEmpty)
    }

    @Test func listsUnsupportedOperatorsWithoutFailingToLoad() throws {
        let summary = try ONNXModel(contentsOf: Fixtures.url("malformed/unsupported_op.onnx")).summary
        #expect(summary.unsupportedOperators == ["TopK"])
        #expect(summary.operatorCounts == ["MatMul": 1, "TopK": 1])
    }

    @Test func theBatchNormalizedExportKeepsItsNormalizations() throws {
        let summary = try ONNXModel(contentsOf: Fixtures.url("models/resnet1d_batchnorm.onnx")).summary
        #expect(summary.operatorCounts["BatchNormalization"] == 15)
        #expect(summary.unsupportedOperators.isEmpty)
    }
}

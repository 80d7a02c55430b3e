import NDArray
import NumericTestSupport
import Testing

@testable import Inference

/// Buffer reuse: tensors share memory once nothing reads them any more.
struct ExecutionPlanTests {
    /// A chain of `length` operations on `[1, 1000]`; sigmoid's backward reads its input, negation's reads nothing.
    static func chain(length: Int, _ function: Elementwise.Function) throws -> Program {
        var builder = ProgramBuilder(inputShape: [1, 1000])
        var tensor = builder.input
        for index in 0..<length {
            tensor = try builder.apply(Elementwise(function, shape: tensor.shape, name: "op"), to: [tensor])
            builder.name(tensor, "t\(index)")
        }
        return builder.build(output: tensor)
    }

    @Test func forwardPassesReuseTwoBuffersAlongAChain() throws {
        let plan = try ExecutionPlan(program: Self.chain(length: 12, .sigmoid), request: PassRequest(backward: false))
        #expect(plan.bufferCapacities.count <= 3)
        #expect(plan.forwardSteps.count == 12 && plan.backwardSteps.isEmpty)
    }

    @Test func backwardPassesKeepWhatTheBackwardStepsRead() throws {
        // Sigmoid needs every input back: 12 activations plus a few gradient buffers.
        let reading = try ExecutionPlan(program: Self.chain(length: 12, .sigmoid), request: PassRequest(backward: true))
        #expect(reading.bufferCapacities.count >= 13 && reading.bufferCapacities.count <= 16)
        // Negation reads nothing back: everything is transient.
        let transient = try ExecutionPlan(program: Self.chain(length: 12, .negate), request: PassRequest(backward: true))
        #expect(transient.bufferCapacities.count <= 4)
    }

    /// Twelve negations: t3 is the input again and its gradient is the cotangent again, unless a
    /// reused buffer overwrote them.
    @Test func keptTensorsSurviveBufferReuse() throws {
        struct Chain: ProgramCompiler {
            let exampleShape = [1000]
            let fixedBatchSize: Int? = nil
            func program(batchSize: Int) throws -> Program { try ExecutionPlanTests.chain(length: 12, .negate) }
        }
        let engine = try InferenceEngine(compiler: Chain())
        var random = SplitMix64(seed: 1)
        let input = random.array([1, 1000]), cotangent = random.array([1, 1000])
        let result = try engine.evaluate(input, EvaluationRequest(cotangent: .tensor(cotangent), activations: ["t3"], gradients: ["t3"]))
        #expect(result.activations["t3"] == input)
        #expect(result.gradients["t3"] == cotangent)
        #expect(result.inputGradient == cotangent)
    }

    @Test func stepsOffThePathToTheOutputAreSkipped() throws {
        var builder = ProgramBuilder(inputShape: [1, 4])
        let unused = try builder.apply(Elementwise(.exp, shape: [1, 4], name: "Exp"), to: [builder.input])
        builder.name(unused, "unused")
        let output = try builder.apply(Elementwise(.negate, shape: [1, 4], name: "Neg"), to: [builder.input])
        let plan = try ExecutionPlan(program: builder.build(output: output), request: PassRequest(backward: true))
        #expect(plan.forwardSteps == [1] && plan.backwardSteps == [1])
    }
}

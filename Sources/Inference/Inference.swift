// Module Inference: tensors, operators with forward passes and vector-Jacobian products, graph execution.

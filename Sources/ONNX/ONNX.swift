// Module ONNX: reads .onnx files (generated protobuf code) and maps their nodes to Inference operators.

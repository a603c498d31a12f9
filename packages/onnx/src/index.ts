/**
 * @gradgraph/onnx: gradgraph graphs as ONNX models (opset 17), for ONNX Runtime and the other
 * engines that read ONNX. Each op's mapping lives in its own file in @gradgraph/core (`onnx` in
 * its definition); this package builds the model from them and encodes it with @bufbuild/protobuf.
 */
export { toOnnx, OPSET_VERSION, type ToOnnxOptions } from "./export";
export { exportOnnx, type ExportOnnxOptions, type SampleInputs } from "./module";
export { fromOnnx, type FromOnnxOptions, type FromOnnxResult } from "./import";

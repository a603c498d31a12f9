/**
 * The rules of ONNX's checker that a runtime relies on, checked on the decoded model: one opset
 * import, every value defined once (graph input, initializer or node output) before any node reads
 * it (topological order), every graph input and output typed with a shape, initializers holding as
 * many bytes as their dims and type say, and value_info naming only computed values.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { type ModelProto, ModelProtoSchema, TensorProto_DataType } from "../../packages/onnx/src/proto/onnx_pb";

const bytesPer: Partial<Record<TensorProto_DataType, number>> = {
  [TensorProto_DataType.FLOAT]: 4,
  [TensorProto_DataType.DOUBLE]: 8,
  [TensorProto_DataType.INT32]: 4,
  [TensorProto_DataType.INT64]: 8,
  [TensorProto_DataType.BOOL]: 1,
};

export function checkModel(bytes: Uint8Array): ModelProto {
  const model = fromBinary(ModelProtoSchema, bytes);
  const fail = (message: string) => {
    throw new Error(`ONNX model check: ${message}`);
  };
  if (model.opsetImport.length !== 1 || model.opsetImport[0].domain !== "" || model.opsetImport[0].version !== 17n) fail("expected one opset import, ai.onnx 17");
  const graph = model.graph ?? fail("no graph")!;
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (name === "") fail(`${what} has an empty name`);
    if (defined.has(name)) fail(`'${name}' is defined twice (again by ${what})`);
    defined.add(name);
  };
  for (const input of graph.input) {
    const tensor = input.type?.value.case === "tensorType" ? input.type.value.value : undefined;
    if (tensor === undefined || tensor.shape === undefined || bytesPer[tensor.elemType as TensorProto_DataType] === undefined) fail(`graph input '${input.name}' has no tensor type and shape`);
    define(input.name, "a graph input");
  }
  for (const init of graph.initializer) {
    define(init.name, "an initializer");
    const count = init.dims.reduce((n, d) => n * Number(d), 1);
    const width = bytesPer[init.dataType as TensorProto_DataType] ?? fail(`initializer '${init.name}' has data type ${init.dataType}`)!;
    if (init.rawData.length !== count * width) fail(`initializer '${init.name}' holds ${init.rawData.length} bytes for dims [${init.dims.join(", ")}]`);
  }
  const nodeNames = new Set<string>();
  for (const node of graph.node) {
    if (nodeNames.has(node.name)) fail(`two nodes are named '${node.name}'`);
    nodeNames.add(node.name);
    for (const input of node.input) {
      if (input !== "" && !defined.has(input)) fail(`node '${node.name}' (${node.opType}) reads '${input}' before anything defines it`);
    }
    node.output.forEach((output) => define(output, `node '${node.name}'`));
  }
  for (const output of graph.output) {
    if (!defined.has(output.name)) fail(`graph output '${output.name}' is never computed`);
    if (output.type?.value.case !== "tensorType" || output.type.value.value.shape === undefined) fail(`graph output '${output.name}' has no tensor type and shape`);
  }
  const computed = new Set(graph.node.flatMap((node) => node.output));
  for (const info of graph.valueInfo) {
    if (!computed.has(info.name)) fail(`value_info '${info.name}' names no node output`);
  }
  return model;
}

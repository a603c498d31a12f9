/**
 * Lazy tensors and their graph: creation, the ops (as functions and Tensor methods), reverse-mode
 * autodiff (`grad`, `backward`), the evaluator and `compile()`, the op registry for ops of your own,
 * JSON round trips, and the torch-compatible generator.
 *
 * @module @gradgraph/core
 */
// The methods of Tensor are installed by the API layer; importing it here makes every entry see them.
import "./api/methods";

export { Tensor, type TensorLike } from "./ir/tensor";
export * from "./api/functional";
export * from "./api/creation";
export { setPrintOptions, getPrintOptions, type PrintOptions, type PrintProfile } from "./api/print";
export { type NestedArray, flattenNested, nest } from "./basics/nested";
export { type DType, type FloatDType, type TypedArray, dtypes, isFloat } from "./basics/dtype";
export { OpError } from "./basics/errors";
export { trackLiveObjects, liveObjects, type LiveKind } from "./basics/liveness";
export { type Shape, formatShape, broadcastShapes, sameShape, sizeOf, MAX_ELEMENTS } from "./basics/shape";
export type { Window } from "./basics/window";
export type { Formula } from "./basics/formula";
export { type Attrs, type AttrValue } from "./ir/attrs";
export { apply, buildStats, topologicalOrder } from "./ir/graph";
export type { OnnxAttr, OnnxAttrs, OnnxBuilder, OnnxDType, OnnxMapping, OnnxTensor, OnnxValue } from "./ir/onnx";
export { noGrad, withScope, currentScope } from "./ir/scope";
export {
  registerOp,
  getOp,
  registeredOps,
  type OpDef,
  type Vjp,
  type VjpContext,
  type TensorMeta,
  type Value,
  type ViewRule,
  type ElementwiseRule,
  type ReductionRule,
  type Placement,
  type PlacementRule,
} from "./ir/registry";
export { toJSON, fromJSON, type GraphJSON, type NodeJSON } from "./serialize/json";
export { builtinOps, type BuiltinOpName } from "./ops";
export { unaryOp, binaryOp } from "./ops/elementwise";
export { viewKernel, placementKernel, reductionKernel } from "./ops/ruleKernels";
export { grad, valueAndGrad, gradientTargets, type GradientTarget } from "./autodiff/grad";
export { zeroGrad } from "./autodiff/backward";
/** Function transforms as in `torch.func` and JAX: `func.grad`, `func.vjp`, `func.jvp`, `func.jacrev`, `func.hessian`, `func.customVjp`, `func.checkpoint`, ... */
export * as func from "./autodiff/func";
export { stopGradient } from "./autodiff/customGradients";
export { evaluate, evaluationStats, setAnomalyDetection, AnomalyError } from "./exec/evaluate";
export {
  configureProgramCache,
  clearProgramCache,
  programCacheStats,
  type ProgramCacheOptions,
  type ProgramCacheStats,
} from "./exec/programCache";
export { Generator, defaultGenerator, manualSeed } from "./basics/random";
export { compile, Program, type CompileSpec, type FeedSpec, type InputSpec, type ProgramStats } from "./exec/compile";
export { ready } from "./kernels/matmul";

/**
 * Every built-in op, by name. Each module registers its op when loaded; this table is typed over
 * the names so that the property suite (and anyone else) can reach every op.
 */
import { absOp } from "./abs";
import { acosOp } from "./acos";
import { acoshOp } from "./acosh";
import { addOp } from "./add";
import { asinOp } from "./asin";
import { asinhOp } from "./asinh";
import { atanOp } from "./atan";
import { atan2Op } from "./atan2";
import { atanhOp } from "./atanh";
import { castOp } from "./cast";
import { ceilOp } from "./ceil";
import { celuOp } from "./celu";
import { clampOp } from "./clamp";
import { eqOp, geOp, gtOp, leOp, ltOp, neOp } from "./compare";
import { concatOp } from "./concat";
import { copysignOp } from "./copysign";
import { cosOp } from "./cos";
import { coshOp } from "./cosh";
import { detachOp } from "./detach";
import { divOp } from "./div";
import { eluOp } from "./elu";
import { erfOp } from "./erf";
import { erfcOp } from "./erfc";
import { expOp } from "./exp";
import { exp2Op } from "./exp2";
import { expandOp } from "./expand";
import { expm1Op } from "./expm1";
import { floorOp } from "./floor";
import { floorDivideOp } from "./floorDivide";
import { fmodOp } from "./fmod";
import { fracOp } from "./frac";
import { gatherOp } from "./gather";
import { geluOp } from "./gelu";
import { geluTanhOp } from "./geluTanh";
import { hardsigmoidOp } from "./hardsigmoid";
import { hardswishOp } from "./hardswish";
import { hardtanhOp } from "./hardtanh";
import { hypotOp } from "./hypot";
import { indexAddOp } from "./indexAdd";
import { indexSelectOp } from "./indexSelect";
import { isfiniteOp } from "./isfinite";
import { isinfOp } from "./isinf";
import { isnanOp } from "./isnan";
import { leakyReluOp } from "./leakyRelu";
import { lerpOp } from "./lerp";
import { logOp } from "./log";
import { log10Op } from "./log10";
import { log1pOp } from "./log1p";
import { log2Op } from "./log2";
import { logAddExpOp } from "./logAddExp";
import { logSigmoidOp } from "./logSigmoid";
import { matmulOp } from "./matmul";
import { maxOp } from "./max";
import { logicalAndOp, logicalNotOp, logicalOrOp, logicalXorOp } from "./logical";
import { allOp, anyOp } from "./truth";
import { cumminIndicesOp } from "./cumminIndices";
import { cummaxIndicesOp } from "./cummaxIndices";
import { argsortOp } from "./argsort";
import { linearScanOp } from "./linearScan";
import { cumsumOp } from "./cumsum";
import { argminOp } from "./argmin";
import { argmaxOp } from "./argmax";
import { prodOp } from "./prod";
import { minOp } from "./min";
import { maximumOp, minimumOp } from "./minmax";
import { mishOp } from "./mish";
import { mulOp } from "./mul";
import { nanToNumOp } from "./nanToNum";
import { negOp } from "./neg";
import { permuteOp } from "./permute";
import { powOp } from "./pow";
import { reciprocalOp } from "./reciprocal";
import { reluOp } from "./relu";
import { remainderOp } from "./remainder";
import { reshapeOp } from "./reshape";
import { roundOp } from "./round";
import { rsqrtOp } from "./rsqrt";
import { scatterAddOp } from "./scatterAdd";
import { advancedIndexOp } from "./advancedIndex";
import { indexPutOp } from "./indexPut";
import { scatterOp } from "./scatter";
import { scatterReduceOp } from "./scatterReduce";
import { seluOp } from "./selu";
import { sigmoidOp } from "./sigmoid";
import { signOp } from "./sign";
import { siluOp } from "./silu";
import { sinOp } from "./sin";
import { sinhOp } from "./sinh";
import { sliceOp } from "./slice";
import { sliceBackwardOp } from "./sliceBackward";
import { softplusOp } from "./softplus";
import { softsignOp } from "./softsign";
import { sqrtOp } from "./sqrt";
import { squareOp } from "./square";
import { subOp } from "./sub";
import { sumOp } from "./sum";
import { tanOp } from "./tan";
import { tanhOp } from "./tanh";
import { transposeOp } from "./transpose";
import { truncOp } from "./trunc";
import { whereOp } from "./where";
import { diagonalOp } from "./diagonal";
import { diagonalBackwardOp } from "./diagonalBackward";
import { flipOp } from "./flip";
import { padOp } from "./pad";
import { padBackwardOp } from "./padBackward";
import { rollOp } from "./roll";
import { trilOp, triuOp } from "./triangular";
import { unfoldOp } from "./unfold";
import { unfoldBackwardOp } from "./unfoldBackward";
import { convOp } from "./conv";
import { convTransposeOp } from "./convTranspose";
import { convWeightBackwardOp } from "./convWeightBackward";
import { maxPoolIndicesOp } from "./maxPoolIndices";
import { avgPoolOp } from "./avgPool";
import { avgPoolBackwardOp } from "./avgPoolBackward";
import { adaptiveAvgPoolOp } from "./adaptiveAvgPool";
import { adaptiveAvgPoolBackwardOp } from "./adaptiveAvgPoolBackward";
import { maxPoolValuesOp } from "./maxPoolValues";
import { maxPoolBackwardOp } from "./maxPoolBackward";
import { interpolateOp } from "./interpolate";
import { interpolateBackwardOp } from "./interpolateBackward";
import type { BuiltinOpDef } from "./builtinOp";

/**
 * Every built-in op's definition by its name, the table the op property suite runs through. Each
 * states its forward-mode and batching rules (`BuiltinOpDef`): a missing one does not compile.
 */
export const builtinOps = {
  abs: absOp, acos: acosOp, acosh: acoshOp, add: addOp, asin: asinOp, asinh: asinhOp, atan: atanOp, atan2: atan2Op,
  atanh: atanhOp, cast: castOp, ceil: ceilOp, celu: celuOp, clamp: clampOp, concat: concatOp, copysign: copysignOp,
  cos: cosOp, cosh: coshOp, detach: detachOp, div: divOp, elu: eluOp, eq: eqOp, erf: erfOp, erfc: erfcOp, exp: expOp,
  exp2: exp2Op, expand: expandOp, expm1: expm1Op, floor: floorOp, floorDivide: floorDivideOp, fmod: fmodOp,
  frac: fracOp, gather: gatherOp, ge: geOp, gelu: geluOp, geluTanh: geluTanhOp, gt: gtOp, hardsigmoid: hardsigmoidOp,
  hardswish: hardswishOp, hardtanh: hardtanhOp, hypot: hypotOp, indexAdd: indexAddOp, indexSelect: indexSelectOp,
  isfinite: isfiniteOp, isinf: isinfOp, isnan: isnanOp, le: leOp, leakyRelu: leakyReluOp, lerp: lerpOp, log: logOp,
  log10: log10Op, log1p: log1pOp, log2: log2Op, logAddExp: logAddExpOp, logSigmoid: logSigmoidOp, lt: ltOp,
  matmul: matmulOp, max: maxOp, logicalAnd: logicalAndOp, logicalOr: logicalOrOp, logicalXor: logicalXorOp, logicalNot: logicalNotOp, any: anyOp, all: allOp, cumminIndices: cumminIndicesOp, cummaxIndices: cummaxIndicesOp, argsort: argsortOp, linearScan: linearScanOp, cumsum: cumsumOp, argmin: argminOp, argmax: argmaxOp, prod: prodOp, min: minOp, maximum: maximumOp, minimum: minimumOp, mish: mishOp, mul: mulOp, nanToNum: nanToNumOp,
  ne: neOp, neg: negOp, permute: permuteOp, pow: powOp, reciprocal: reciprocalOp, relu: reluOp, remainder: remainderOp,
  reshape: reshapeOp, round: roundOp, rsqrt: rsqrtOp, scatterAdd: scatterAddOp, selu: seluOp, sigmoid: sigmoidOp,
  sign: signOp, silu: siluOp, sin: sinOp, sinh: sinhOp, slice: sliceOp, sliceBackward: sliceBackwardOp,
  softplus: softplusOp, softsign: softsignOp, sqrt: sqrtOp, square: squareOp, sub: subOp, sum: sumOp, tan: tanOp,
  tanh: tanhOp, transpose: transposeOp, trunc: truncOp, where: whereOp,
  advancedIndex: advancedIndexOp, indexPut: indexPutOp, scatter: scatterOp, scatterReduce: scatterReduceOp,
  diagonal: diagonalOp, diagonalBackward: diagonalBackwardOp, flip: flipOp, pad: padOp, padBackward: padBackwardOp, roll: rollOp,
  tril: trilOp, triu: triuOp, unfold: unfoldOp, unfoldBackward: unfoldBackwardOp,
  conv: convOp, convTranspose: convTransposeOp, convWeightBackward: convWeightBackwardOp, maxPoolIndices: maxPoolIndicesOp,
  avgPool: avgPoolOp, avgPoolBackward: avgPoolBackwardOp, adaptiveAvgPool: adaptiveAvgPoolOp, adaptiveAvgPoolBackward: adaptiveAvgPoolBackwardOp,
  maxPoolValues: maxPoolValuesOp, maxPoolBackward: maxPoolBackwardOp, interpolate: interpolateOp, interpolateBackward: interpolateBackwardOp,
} as const satisfies Record<string, BuiltinOpDef<any>>;

/** The name of a built-in op. */
export type BuiltinOpName = keyof typeof builtinOps;

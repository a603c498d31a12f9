/**
 * Every built-in op, by name. Each module registers its op when loaded; this table is typed over
 * the names so that the property suite (and anyone else) can reach every op.
 */
import { absOp } from "./abs";
import { addOp } from "./add";
import { castOp } from "./cast";
import { eqOp, geOp, gtOp, leOp, ltOp, neOp } from "./compare";
import { concatOp } from "./concat";
import { detachOp } from "./detach";
import { divOp } from "./div";
import { expOp } from "./exp";
import { expandOp } from "./expand";
import { floorDivideOp } from "./floorDivide";
import { gatherOp } from "./gather";
import { indexAddOp } from "./indexAdd";
import { indexSelectOp } from "./indexSelect";
import { logOp } from "./log";
import { matmulOp } from "./matmul";
import { maxOp } from "./max";
import { maximumOp, minimumOp } from "./minmax";
import { mulOp } from "./mul";
import { negOp } from "./neg";
import { permuteOp } from "./permute";
import { powOp } from "./pow";
import type { OpDef } from "../ir/registry";
import { reluOp } from "./relu";
import { remainderOp } from "./remainder";
import { reshapeOp } from "./reshape";
import { scatterAddOp } from "./scatterAdd";
import { sigmoidOp } from "./sigmoid";
import { signOp } from "./sign";
import { sliceOp } from "./slice";
import { sliceBackwardOp } from "./sliceBackward";
import { sqrtOp } from "./sqrt";
import { subOp } from "./sub";
import { sumOp } from "./sum";
import { tanhOp } from "./tanh";
import { transposeOp } from "./transpose";
import { whereOp } from "./where";

export const builtinOps = {
  abs: absOp, add: addOp, cast: castOp, concat: concatOp, detach: detachOp, div: divOp,
  eq: eqOp, ge: geOp, gt: gtOp, le: leOp, lt: ltOp, ne: neOp,
  exp: expOp, expand: expandOp, floorDivide: floorDivideOp, gather: gatherOp, indexAdd: indexAddOp, indexSelect: indexSelectOp,
  log: logOp, matmul: matmulOp, max: maxOp, maximum: maximumOp, minimum: minimumOp, mul: mulOp, neg: negOp,
  permute: permuteOp, pow: powOp, relu: reluOp, remainder: remainderOp, reshape: reshapeOp, scatterAdd: scatterAddOp,
  sigmoid: sigmoidOp, sign: signOp, slice: sliceOp, sliceBackward: sliceBackwardOp, sqrt: sqrtOp,
  sub: subOp, sum: sumOp, tanh: tanhOp, transpose: transposeOp, where: whereOp,
} as const satisfies Record<string, OpDef<any>>;

export type BuiltinOpName = keyof typeof builtinOps;

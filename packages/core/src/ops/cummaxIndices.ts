import { registerBuiltinOp } from "./builtinOp";
import { cumulativeExtremumIndices } from "./cumulativeExtremum";

export const cummaxIndicesOp = registerBuiltinOp(cumulativeExtremumIndices("cummaxIndices", ">="));

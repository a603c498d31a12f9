import { registerBuiltinOp } from "./builtinOp";
import { cumulativeExtremumIndices } from "./cumulativeExtremum";

export const cumminIndicesOp = registerBuiltinOp(cumulativeExtremumIndices("cumminIndices", "<="));

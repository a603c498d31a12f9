import { registerBuiltinOp } from "./builtinOp";
import { extremumReduction } from "./extremum";

/** Min over dims (PyTorch's amin; `min(x, dim)` in api/reductions.ts gives values and indices). */
export const minOp = registerBuiltinOp(extremumReduction("min", "<"));

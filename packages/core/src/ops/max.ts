import { registerBuiltinOp } from "./builtinOp";
import { extremumReduction } from "./extremum";

/** Max over dims (PyTorch's amax; `max(x, dim)` in api/reductions.ts gives values and indices). */
export const maxOp = registerBuiltinOp(extremumReduction("max", ">"));

import { registerOp } from "../ir/registry";
import { extremumReduction } from "./extremum";

/** Min over dims (PyTorch's amin; `min(x, dim)` in api/reductions.ts gives values and indices). */
export const minOp = registerOp(extremumReduction("min", "<"));

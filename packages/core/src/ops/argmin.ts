import { registerBuiltinOp } from "./builtinOp";
import { argExtremum } from "./extremum";

export const argminOp = registerBuiltinOp(argExtremum("argmin", "<"));

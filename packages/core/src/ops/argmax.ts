import { registerBuiltinOp } from "./builtinOp";
import { argExtremum } from "./extremum";

export const argmaxOp = registerBuiltinOp(argExtremum("argmax", ">"));

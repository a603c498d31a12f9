import { registerOp } from "../ir/registry";
import { argExtremum } from "./extremum";

export const argmaxOp = registerOp(argExtremum("argmax", ">"));

import { registerOp } from "../ir/registry";
import { argExtremum } from "./extremum";

export const argminOp = registerOp(argExtremum("argmin", "<"));

import { registerOp } from "../ir/registry";
import { cumulativeExtremumIndices } from "./cumulativeExtremum";

export const cumminIndicesOp = registerOp(cumulativeExtremumIndices("cumminIndices", "<="));

import { registerOp } from "../ir/registry";
import { cumulativeExtremumIndices } from "./cumulativeExtremum";

export const cummaxIndicesOp = registerOp(cumulativeExtremumIndices("cummaxIndices", ">="));

/**
 * padBackward's ONNX form (slices of the gradient put back with Pad and added) on the layouts
 * the random samples reach rarely: edges replicated many times, a reflection of two elements,
 * crops, a circular crop to nothing, several padded dims, an empty dim beside the padded one.
 * ONNX Runtime must give gradgraph's kernel's values (the property suite checks that kernel
 * against an explicit accumulation).
 */
import { describe, it } from "vitest";
import { padBackward, type PadMode, placeholder, randn } from "@gradgraph/core";
import { toOnnx } from "@gradgraph/onnx";
import { expectAgrees, runModel } from "./runtime";

type BackwardMode = Exclude<PadMode, "constant">;
const layouts: readonly { shape: number[]; pads: number[]; mode: BackwardMode }[] = [
  { shape: [2, 9], pads: [3, 4], mode: "replicate" },
  { shape: [3, 1, 7], pads: [3, 3], mode: "replicate" },
  { shape: [4, 4], pads: [1, 1, 1, 1], mode: "reflect" },
  { shape: [2, 5], pads: [2, -1], mode: "reflect" },
  { shape: [2, 3], pads: [-1, -1], mode: "reflect" },
  { shape: [3, 6], pads: [2, 1], mode: "circular" },
  { shape: [2, 0], pads: [-1, -1], mode: "circular" },
  { shape: [5, 4], pads: [-1, 2, 1, 1], mode: "circular" },
  { shape: [0, 7], pads: [1, 2], mode: "reflect" },
];

describe("padBackward in ONNX Runtime", () => {
  for (const { shape, pads, mode } of layouts) {
    it(`${mode} pads ${JSON.stringify(pads)} of a gradient ${JSON.stringify(shape)}`, async () => {
      const g = placeholder(shape, "float32", "g");
      const output = padBackward(g, pads, mode);
      const model = toOnnx(output, { inputs: [g], outputNames: ["out"] });
      g.assign(randn(shape));
      const { out } = await runModel(model, { g });
      expectAgrees(out, output, `padBackward ${mode} ${JSON.stringify(pads)} on [${shape.join(", ")}]`);
    });
  }
});

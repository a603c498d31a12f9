/**
 * The convolution kernels on batches larger than one chunk of their column matrices (2²¹
 * elements; here 576 × 1024 per sample in chunks of 3 samples, or 4608 × 256 in chunks of 1),
 * which the small samples of the op suite and the fixtures never reach: the per-chunk products,
 * the weight gradient's sum over chunks and the col2im path of a strided transpose, in float64
 * and on the float32 (WebAssembly) path, against direct float64 loops.
 */
import { describe, expect, it } from "vitest";
import { conv2d, convTranspose2d, convWeightBackward, type DType, Generator, tensor } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";

const [batch, outChannels, size, kernel] = [4, 3, 32, 3];

function random(shape: number[], seed: number) {
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  new Generator(seed).fillUniform(data, -1, 1);
  return { shape, data };
}

type Layer = { channels: number; stride: number; padding: number; outSize: number };

/** Calls `visit(x offset, w offset, y offset)` for every tap of a padded 2-D convolution that reads inside x. */
function forEachTap({ channels, stride, padding, outSize }: Layer, visit: (xAt: number, wAt: number, yAt: number) => void): void {
  for (let n = 0; n < batch; n++)
    for (let o = 0; o < outChannels; o++)
      for (let i = 0; i < outSize; i++)
        for (let j = 0; j < outSize; j++)
          for (let c = 0; c < channels; c++)
            for (let p = 0; p < kernel; p++)
              for (let q = 0; q < kernel; q++) {
                const [h, w] = [i * stride - padding + p, j * stride - padding + q];
                if (h < 0 || h >= size || w < 0 || w >= size) continue;
                visit(((n * channels + c) * size + h) * size + w, ((o * channels + c) * kernel + p) * kernel + q, ((n * outChannels + o) * outSize + i) * outSize + j);
              }
}

describe.each([
  { channels: 64, stride: 1, padding: 1 },
  { channels: 512, stride: 2, padding: 1 },
])("a batch of %o spread over chunks", ({ channels, stride, padding }) => {
  const layer = { channels, stride, padding, outSize: Math.floor((size + 2 * padding - kernel) / stride) + 1 };
  const x = random([batch, channels, size, size], 1);
  const weight = random([outChannels, channels, kernel, kernel], 2);
  const g = random([batch, outChannels, layer.outSize, layer.outSize], 3);
  const expected = { y: new Float64Array(g.data.length), dx: new Float64Array(x.data.length), dw: new Float64Array(weight.data.length) };
  forEachTap(layer, (xAt, wAt, yAt) => {
    expected.y[yAt] += x.data[xAt] * weight.data[wAt];
    expected.dx[xAt] += g.data[yAt] * weight.data[wAt];
    expected.dw[wAt] += g.data[yAt] * x.data[xAt];
  });

  describe.each([
    ["float64", { atol: 1e-10, rtol: 1e-10 }],
    ["float32", { atol: 1e-4, rtol: 1e-4 }],
  ] as const)("%s", (dtype: DType, tolerance) => {
    const leaf = ({ data, shape }: { data: Float64Array; shape: number[] }) => tensor(data, { shape, dtype });

    it("conv2d", () => {
      const y = conv2d(leaf(x), leaf(weight), undefined, { stride, padding });
      assertClose({ shape: y.shape, data: y.data() }, { shape: g.shape, data: expected.y }, tolerance);
    });

    it("its input gradient, a transposed convolution", () => {
      const outputPadding = size - ((layer.outSize - 1) * stride - 2 * padding + kernel);
      const dx = convTranspose2d(leaf(g), leaf(weight), undefined, { stride, padding, outputPadding });
      expect(dx.shape).toEqual(x.shape);
      assertClose({ shape: dx.shape, data: dx.data() }, { shape: x.shape, data: expected.dx }, tolerance);
    });

    it("its weight gradient, summed over every chunk", () => {
      const dw = convWeightBackward(leaf(x), leaf(g), { stride, padding, kernelSize: [kernel, kernel] });
      assertClose({ shape: dw.shape, data: dw.data() }, { shape: weight.shape, data: expected.dw }, tolerance);
    });
  });
});

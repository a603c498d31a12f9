/**
 * The convolution, pooling and interpolation functions refuse what PyTorch 1.13 refuses, in its
 * words where it has them (the messages below are PyTorch's, as its F functions raise them, but
 * for the dtype mismatch), naming the op. And an unbatched input is a batch of one.
 */
import { describe, expect, it } from "vitest";
import {
  adaptiveAvgPool2d,
  avgPool2d,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  interpolate,
  maxPool1d,
  maxPool2d,
  OpError,
  type Tensor,
  zeros,
} from "@gradgraph/core";

const x = zeros([1, 3, 5, 5]);
const w = zeros([4, 3, 3, 3]);
const any = (value: unknown) => value as never;

const cases: [string, () => Tensor | object, string][] = [
  ["a zero stride", () => conv2d(x, w, undefined, { stride: 0 }), "non-positive stride is not supported"],
  ["a stride per dim too many", () => conv2d(x, w, undefined, { stride: [1, 1, 1] }), "expected stride to be a single integer value or a list of 2 values to match the convolution dimensions, but got stride=[1, 1, 1]"],
  ["negative padding", () => conv2d(x, w, undefined, { padding: -1 }), "negative padding is not supported"],
  ["a zero dilation", () => conv2d(x, w, undefined, { dilation: 0 }), "dilation should be greater than zero, but got [0, 0]"],
  ["zero groups", () => conv2d(x, w, undefined, { groups: 0 }), "non-positive groups is not supported"],
  ["channels that groups do not match", () => conv2d(x, w, undefined, { groups: 2 }), "Given groups=2, weight of size [4, 3, 3, 3], expected input[1, 3, 5, 5] to have 6 channels, but got 3 channels instead"],
  ["a kernel larger than the input", () => conv2d(x, zeros([4, 3, 6, 6])), "Calculated padded input size per channel: (5 x 5). Kernel size: (6 x 6). Kernel size can't be greater than actual input size"],
  ["'same' with a stride", () => conv2d(x, w, undefined, { padding: "same", stride: 2 }), "padding='same' is not supported for strided convolutions"],
  ["an unknown padding string", () => conv2d(x, w, undefined, { padding: any("full") }), "Invalid padding string: 'full'"],
  ["a 2-D input to conv2d", () => conv2d(zeros([3, 5]), w), "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [3, 5]"],
  ["a bias of the wrong size", () => conv2d(x, w, zeros([3])), "Given weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 4 elements, but got bias of size [3] instead"],
  ["operands of two dtypes", () => conv1d(zeros([1, 3, 5], { dtype: "float64" }), zeros([2, 3, 2])), "expected tensors of one dtype"],
  [
    "an output padding of the stride",
    () => convTranspose2d(x, zeros([3, 2, 3, 3]), undefined, { outputPadding: 1 }),
    "output padding must be smaller than either stride or dilation, but got output_padding_height: 1 output_padding_width: 1 stride_height: 1 stride_width: 1 dilation_height: 1 dilation_width: 1",
  ],
  ["a transposed weight for other channels", () => convTranspose2d(x, zeros([4, 2, 3, 3])), "Given transposed=1, weight of size [4, 2, 3, 3], expected input[1, 3, 5, 5] to have 4 channels, but got 3 channels instead"],
  ["an empty transposed output", () => convTranspose1d(zeros([1, 3, 1]), zeros([3, 2, 3]), undefined, { padding: 2 }), "Given input size per channel: (1 x 1). Calculated output size per channel: (1 x -1). Output size is too small"],
  ["pooling padding over half the kernel", () => maxPool2d(x, 3, { padding: 2 }), "pad should be at most half of kernel size, but got pad=2 and kernel_size=3"],
  ["a zero pooling stride", () => maxPool2d(x, 3, { stride: 0 }), "stride should not be zero"],
  ["a pooling window larger than the input", () => maxPool2d(x, 6), "Given input size: (3x5x5). Calculated output size: (3x0x0). Output size is too small"],
  ["a 1-D input to max_pool1d", () => maxPool1d(zeros([5]), 2), "Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:[5]"],
  ["a zero divisor", () => avgPool2d(x, 2, { divisorOverride: 0 }), "divisor must be not zero"],
  ["an empty plane to adaptive pooling", () => adaptiveAvgPool2d(zeros([1, 3, 0, 5]), 2), "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes [1, 3, 0, 5] with dimension 2 being empty"],
  ["both size and scale factor", () => interpolate(x, { size: 3, scaleFactor: 2 }), "only one of size or scale_factor should be defined"],
  ["neither size nor scale factor", () => interpolate(x, {}), "either size or scale_factor should be defined"],
  ["linear on a 4-D input", () => interpolate(x, { size: 3, mode: "linear" }), "Got 4D input, but linear mode needs 3D input"],
  ["align_corners with nearest", () => interpolate(x, { size: 3, alignCorners: true }), "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"],
  ["an empty output size", () => interpolate(x, { scaleFactor: 0.1 }), "Input and output sizes should be greater than 0, but got input (H: 5, W: 5) output (H: 0, W: 0)"],
];

describe("refused as PyTorch refuses it", () => {
  it.each(cases)("%s", (_what, call, message) => {
    expect(call).toThrow(OpError);
    expect(call).toThrow(message);
  });
});

describe("an unbatched input is the batched one with a batch of one", () => {
  const input = zeros([3, 6, 6]).add(1).cumsum(2);
  const batched = input.reshape(1, 3, 6, 6);
  const weight = zeros([2, 3, 3, 3]).add(0.5);
  it.each([
    ["conv2d", (t: Tensor) => conv2d(t, weight, zeros([2]).add(1), { padding: 1 })],
    ["convTranspose2d", (t: Tensor) => convTranspose2d(t, zeros([3, 2, 3, 3]).add(0.25), undefined, { stride: 2 })],
    ["maxPool2d", (t: Tensor) => maxPool2d(t, 2)],
    ["avgPool2d", (t: Tensor) => avgPool2d(t, 3, { stride: 2, padding: 1 })],
    ["adaptiveAvgPool2d", (t: Tensor) => adaptiveAvgPool2d(t, [4, 3])],
  ] as const)("%s", (_name, f) => {
    const unbatched = f(input);
    const expected = f(batched);
    expect(unbatched.shape).toEqual(expected.shape.slice(1));
    expect(Array.from(unbatched.data())).toEqual(Array.from(expected.data()));
  });
});

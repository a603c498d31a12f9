/**
 * One small CNN layer's training step: conv2d (batch 32, 3 → 16 channels, 32×32, 3×3, padding 1,
 * bias) forward and backward (the gradients of input, weight and bias), in float32. Prints the
 * median ms per step, built and run as users write it (the program cache compiles the repeated
 * graph), the forward alone, and each of the three gradient ops alone, and the same layer with
 * 16 → 16 channels, where the input gradient is the larger product.
 *
 * Run: node --conditions=source --import tsx bench/conv.ts
 */
import { conv2d, convTranspose2d, convWeightBackward, evaluate, grad, ready, tensor } from "../packages/core/src/index";
import { medianMs, uniformArray } from "./common";

await ready();

/** A fresh leaf each time it is called: otherwise interning would hand back the previous graph, already evaluated. */
function leafOf(data: Float32Array, shape: number[], requiresGrad = false) {
  return () => tensor(data, { shape, requiresGrad });
}

function report(label: string, batch: number, inChannels: number, outChannels: number, size: number): void {
  const input = leafOf(uniformArray(batch * inChannels * size * size, -1, 1, 1), [batch, inChannels, size, size], true);
  const upstream = leafOf(uniformArray(batch * outChannels * size * size, -1, 1, 4), [batch, outChannels, size, size]);
  const bound = 1 / Math.sqrt(inChannels * 9);
  const weight = tensor(uniformArray(outChannels * inChannels * 9, -bound, bound, 2), { shape: [outChannels, inChannels, 3, 3], requiresGrad: true });
  const bias = tensor(uniformArray(outChannels, -bound, bound, 3), { shape: [outChannels], requiresGrad: true });
  const g = upstream();
  const step = () => {
    const x = input();
    const y = conv2d(x, weight, bias, { padding: 1 });
    evaluate([y, ...grad(y, [x, weight, bias], g)]);
  };
  const forward = () => evaluate([conv2d(input(), weight, bias, { padding: 1 })]);
  const inputGradient = () => evaluate([convTranspose2d(upstream(), weight, undefined, { padding: 1 })]);
  const weightGradient = () => evaluate([convWeightBackward(input(), g, { padding: 1, kernelSize: [3, 3] })]);
  const ms = (fn: () => void) => medianMs(fn).toFixed(2);
  console.log(`${label}: forward + backward ${ms(step)} ms/step (forward ${ms(forward)}, input gradient ${ms(inputGradient)}, weight gradient ${ms(weightGradient)})`);
}

report("conv2d 32×3×32×32 → 16, 3×3", 32, 3, 16, 32);
report("conv2d 32×16×32×32 → 16, 3×3", 32, 16, 16, 32);

/** Constructor checks shared by the layers, worded after PyTorch's and naming the layer. */
export function checkPositiveInteger(layer: string, option: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new RangeError(`${layer}: ${option} must be a positive integer, got ${String(value)}`);
  }
}

export function checkProbability(layer: string, p: number): void {
  if (!(typeof p === "number" && p >= 0 && p <= 1)) {
    throw new RangeError(`${layer}: dropout probability has to be between 0 and 1, but got ${String(p)}`);
  }
}

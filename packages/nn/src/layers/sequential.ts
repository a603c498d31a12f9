import type { Tensor } from "@gradgraph/core";
import { Module } from "../module";
import { checkInteger, describeValue } from "../validation";

/** torch.nn.Sequential: children named "0", "1", ... (so state-dict keys are `0.weight`), applied in order. */
export class Sequential extends Module {
  private readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((layer, i) => {
      if (!(layer instanceof Module)) throw new TypeError(`Sequential: layer ${i} must be a Module, got ${describeValue(layer)}`);
      return this.registerModule(String(i), layer);
    });
  }

  /** The number of modules in the chain. */
  get length(): number {
    return this.layers.length;
  }

  /** The module at `index`; negative indices count from the end. */
  at(index: number): Module {
    checkInteger("Sequential.at", "index", index);
    const layer = this.layers.at(index);
    if (layer === undefined) throw new RangeError(`Sequential: index ${index} is out of range for ${this.layers.length} layers`);
    return layer;
  }

  /** `input` through every module in turn. */
  forward(input: Tensor): Tensor {
    let x = input;
    for (const layer of this.layers) x = layer.forward(x);
    return x;
  }
}

import { instance, type Viz } from "@viz-js/viz";

// Graphviz compiled to WebAssembly: no system install needed. Loaded once, on first use, for every export.
let graphviz: Promise<Viz> | undefined;

/** The package's one Graphviz instance. */
export function bundledGraphviz(): Promise<Viz> {
  graphviz ??= instance();
  return graphviz;
}

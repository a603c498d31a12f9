import type { TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "./atomicWrite";
import { nodeFiles } from "./nodeFiles";

/** One point of a loss curve. */
export type LossPoint = { step: number; loss: number };

/** The title of a loss-curve picture, its y scale (linear or log) and its size in pixels. */
export type LossCurveOptions = {
  title?: string;
  /** Log-scale y axis (the usual view of a loss that falls over orders of magnitude). */
  logScale?: boolean;
  width?: number;
  height?: number;
};

/**
 * Render a step-vs-loss line chart as a standalone SVG string (headless: no browser, no canvas).
 * A plain array is read as losses at steps 0, 1, 2, ...
 *
 * Points that cannot be plotted are left out rather than drawn wrongly: non-finite losses
 * (a diverged run), and on a log scale losses <= 0. The subtitle says how many were left out.
 */
export async function lossCurveSvg(losses: number[] | LossPoint[], opts: LossCurveOptions = {}): Promise<string> {
  const all: LossPoint[] = losses.map((p, i) => (typeof p === "number" ? { step: i, loss: p } : { step: p.step, loss: p.loss }));
  const points = all.filter((p) => Number.isFinite(p.step) && Number.isFinite(p.loss) && (!opts.logScale || p.loss > 0));
  const dropped = all.length - points.length;
  const subtitle = dropped > 0 ? `${dropped} non-plottable point${dropped === 1 ? "" : "s"} omitted` : undefined;

  const vlSpec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: opts.title ?? "Training loss", ...(subtitle ? { subtitle } : {}) },
    width: opts.width ?? 600,
    height: opts.height ?? 300,
    background: "white",
    data: { values: points },
    mark: { type: "line", interpolate: "linear" },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step" },
      y: {
        field: "loss",
        type: "quantitative",
        title: "loss",
        scale: opts.logScale ? { type: "log" } : { zero: false },
      },
      order: { field: "step" }, // draw in step order even if the input is not sorted
    },
  };
  // vega is ESM-only with top-level await: loaded on first use, because require() of this package (its CommonJS
  // entry loads the ES module) refuses a module graph with top-level await.
  const [vega, { compile }] = await Promise.all([import("vega"), import("vega-lite")]);
  const spec = compile(vlSpec).spec;
  const view = new vega.View(vega.parse(spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Render with {@link lossCurveSvg} and write the SVG atomically. */
export async function writeLossCurve(path: string, losses: number[] | LossPoint[], opts: LossCurveOptions = {}): Promise<void> {
  nodeFiles("writeLossCurve", "lossCurveSvg(losses, options) gives the SVG text to put in the page");
  const svg = await lossCurveSvg(losses, opts);
  await writeFileAtomic(path, new TextEncoder().encode(svg));
}

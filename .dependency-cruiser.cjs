/**
 * The core's layers, bottom to top. A folder may import only the folders listed for it (and
 * itself); anything else, or a cycle that leaves ops/, fails `pnpm lint:layers` and so CI.
 * Imports of types only compile away, so they are not checked: the IR's Tensor type merges in
 * the method signatures that the API layer installs on it.
 * Cycles inside ops/ are allowed: an op and its gradient's op refer to each other (slice and
 * sliceBackward, gather and scatterAdd), but only inside functions, never at module load.
 */
const core = "^packages/core/src/";
const layers = {
  basics: [],
  ir: ["basics"],
  kernels: ["basics"],
  ops: ["basics", "ir", "kernels"],
  exec: ["basics", "ir", "kernels"],
  autodiff: ["basics", "ir", "ops", "exec"],
  serialize: ["basics", "ir", "ops"],
  api: ["basics", "ir", "kernels", "ops", "exec", "autodiff", "serialize"],
};

const layerRules = Object.entries(layers).map(([layer, below]) => ({
  name: `layer-${layer}`,
  comment: `${layer}/ may import only ${below.length === 0 ? "itself" : below.join(", ") + " and itself"}`,
  severity: "error",
  from: { path: `${core}${layer}/` },
  to: {
    path: core,
    pathNot: [`${core}(${[layer, ...below].join("|")})/`],
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "testing-by-name",
      comment: "the testing kit reaches the core through its package name (the public entry), as users do",
      severity: "error",
      from: { path: `${core}testing/` },
      to: { path: core, pathNot: [`${core}testing/`, `${core}index\\.ts$`] },
    },
    {
      name: "no-cycles-outside-ops",
      comment: "a cycle of run-time imports may only run through ops/ (an op and its gradient's op)",
      severity: "error",
      from: { path: core },
      to: { circular: true, viaSomeNot: `${core}ops/` },
    },
    {
      name: "core-stands-alone",
      comment: "core imports neither nn, viz nor onnx",
      severity: "error",
      from: { path: core },
      to: { path: "^packages/(nn|viz|onnx)/" },
    },
    {
      name: "packages-by-name",
      comment: "nn, viz and onnx use core (and each other) through the package name, never through its files",
      severity: "error",
      from: { path: "^packages/(nn|viz|onnx)/src/" },
      to: { path: "^packages/core/src/", pathNot: "^packages/core/src/(testing/)?index\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Imports that compile away (types only) are no dependencies at run time.
    tsPreCompilationDeps: false,
    enhancedResolveOptions: { conditionNames: ["source", "import", "default"], exportsFields: ["exports"] },
  },
};

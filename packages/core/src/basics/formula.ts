/**
 * A scalar formula over the operands `a`, `b`, `c`, `d` (JS numbers), as generated loops inline it,
 * with the functions it calls by name: every loop that inlines the formula binds them under
 * those names, so a formula can use a routine no single expression can hold (a loop, a throw).
 */
export interface Formula {
  readonly expr: string;
  /**
   * Functions the expression calls by these names, bound into every kernel and fused loop generated from it.
   */
  readonly helpers?: Readonly<Record<string, (...operands: number[]) => number>>;
  /**
   * Numeric attributes of the op that the formula reads by name (leakyRelu's `a > 0 ? a : a *
   * negativeSlope`): kernels and compiled loops bind each to the node's canonical value.
   */
  readonly params?: readonly string[];
}

/** The values of a formula's params in a node's attributes, by name. */
export function paramValues(formula: Formula, attrs: Readonly<Record<string, unknown>>): Readonly<Record<string, number>> {
  const values: Record<string, number> = {};
  for (const name of formula.params ?? []) values[name] = attrs[name] as number;
  return values;
}

/**
 * A scalar formula over the operands `a`, `b`, `c`, `d` (JS numbers), as generated loops inline it,
 * with the functions it calls by name: every loop that inlines the formula binds them under
 * those names, so a formula can use a routine no single expression can hold (a loop, a throw).
 */
export interface Formula {
  readonly expr: string;
  readonly helpers?: Readonly<Record<string, (...operands: number[]) => number>>;
}

/**
 * Scopes tag the nodes built inside them with a path such as `rnn.l0.t2`, so an unrolled module
 * stays readable in a picture. Gradient construction and `noGrad` use the same mechanism.
 */
import { OpError } from "../basics/errors";
import { checkFunction, describeValue } from "./args";

const scopeStack: (string | undefined)[] = [];
let noGradDepth = 0;

/** The scope path that `withScope` (or a module's forward) tags new nodes with, if any. */
export function currentScope(): string | undefined {
  return scopeStack.length === 0 ? undefined : scopeStack[scopeStack.length - 1];
}

/** Runs `fn` with `path` as the whole scope, e.g. to tag gradient nodes after the node they differentiate. */
export function withExactScope<T>(path: string | undefined, fn: () => T): T {
  scopeStack.push(path);
  try {
    return fn();
  } finally {
    scopeStack.pop();
  }
}

/** Runs `fn` with the nodes it builds tagged `path`, nested inside the current scope (joined by "."). */
export function withScope<T>(path: string, fn: () => T): T {
  if (typeof path !== "string" || path === "") throw new OpError("withScope", `path must be a non-empty string, got ${describeValue(path)}`);
  checkFunction("withScope", "the scoped function", fn);
  const parent = currentScope();
  return withExactScope(parent === undefined ? path : `${parent}.${path}`, fn);
}

/** Nodes built inside `fn` do not require gradients: parameter updates, metrics, sampling. */
export function noGrad<T>(fn: () => T): T {
  checkFunction("noGrad", "the function to run", fn);
  noGradDepth++;
  try {
    return fn();
  } finally {
    noGradDepth--;
  }
}

export function isGradEnabled(): boolean {
  return noGradDepth === 0;
}

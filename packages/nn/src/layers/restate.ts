import { OpError } from "@gradgraph/core";

/**
 * Runs `call`, which calls the core's functional form `op`, for the module `owner`: the argument
 * errors of `op` are restated under the module's name ("LayerNorm: Given normalized_shape=[4],
 * ..."), as PyTorch's modules raise the errors of the F functions they call. Errors of other ops
 * (a shape rule deeper down) pass unchanged; the original stays as `cause`.
 */
export function restated<T>(owner: string, op: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (err instanceof OpError && err.op === op) throw new Error(`${owner}: ${err.detail}`, { cause: err });
    throw err;
  }
}

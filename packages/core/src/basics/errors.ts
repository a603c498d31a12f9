/**
 * An error raised by an op: names the op, and the module path of the node when known
 * (`matmul in 'rnn.l0.t2': ...`), so the user knows which line or layer went wrong.
 */
export class OpError extends Error {
  /** The message without the op and scope in front, for restating it with more context. */
  readonly detail: string;
  readonly scope: string | undefined;

  constructor(
    readonly op: string,
    message: string,
    options: { readonly scope?: string; readonly cause?: unknown } = {},
  ) {
    super(`${op}${options.scope === undefined ? "" : ` in '${options.scope}'`}: ${message}`, "cause" in options ? { cause: options.cause } : undefined);
    this.name = "OpError";
    this.detail = message;
    this.scope = options.scope;
  }
}

/**
 * `error`, thrown by one of op's own functions (`stage`: "kernel", "shape rule", ...) for a node
 * in `scope`, as an OpError naming both; the original stays as `cause`. An OpError of this op
 * already says all there is when there is no scope to add, and is returned unchanged.
 */
export function errorInOp(op: string, scope: string | undefined, stage: string, error: unknown): OpError {
  if (error instanceof OpError && error.op === op) {
    if (error.scope === scope || scope === undefined) return error;
    return new OpError(op, error.detail, { scope, cause: error });
  }
  const message = error instanceof Error ? error.message : describeValue(error);
  return new OpError(op, `${stage} failed: ${message}`, { scope, cause: error });
}

/**
 * A short, safe rendering of any value for error messages: primitives as written, a list of
 * primitives element by element, anything deeper by its kind. It never recurses, so a hostile
 * value nested 100,000 deep cannot overflow the stack.
 */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.slice(0, 16).map(describeFlat).join(", ")}${value.length > 16 ? ", ..." : ""}]`;
  return describeFlat(value);
}

function describeFlat(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "object" && value !== null) return Array.isArray(value) ? "an array" : "an object";
  if (typeof value === "function") return "a function";
  return Object.is(value, -0) ? "-0" : String(value);
}

/** An error raised while building a node: names the op so the user knows which line went wrong. */
export class OpError extends Error {
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`);
    this.name = "OpError";
  }
}

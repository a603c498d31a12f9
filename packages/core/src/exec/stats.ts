/** Counters that let tests (and curious users) see what evaluation did. */
export const evaluationStats = {
  /** Kernels run: by the interpreter one per op, by a cached program one per loop or matrix product. */
  kernelInvocations: 0,
};

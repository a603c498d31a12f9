declare const expected: {
  weights: Record<string, number[] | number[][]>;
  inputs: number[];
  learningRate: number;
  loss: number;
  biasHhAfterStep: number;
  check(consumer: string, name: string, actual: number, expected: number): void;
};
export = expected;

/**
 * The W2 and W3 graphs in gradgraph: `@gradgraph/nn`'s RNN and Linear, the loss, gradients from
 * `grad()` and the SGD update `p - lr·g`, compiled into one program each.
 */
import { compile, grad, placeholder, type Program, sum, type Tensor, tensor } from "@gradgraph/core";
import { Linear, mseLoss, RNN, SGD } from "@gradgraph/nn";
import { W2, W3, w3Data } from "./common";

export type StateDict = { [name: string]: { shape: number[]; data: number[] } };

/** W2: forward and backward of the notebook RNN; `run([x])` returns the four parameter gradients. */
export function notebookProgram(params: StateDict): Program {
  const rnn = new RNN({ inputSize: W2.input, hiddenSize: W2.hidden, batchFirst: true });
  rnn.loadStateDict(params);
  const x = placeholder([W2.batch, W2.seq, W2.input], "float32", "x");
  const [output, hN] = rnn.call(x);
  const loss = sum(output).add(sum(hN));
  return compile({ inputs: [x], outputs: grad(loss, rnn.parameters()) });
}

/** W3: one training step (forward, MSE, backward, SGD update) as one program; `run([x])` returns the loss. */
export function trainingStepProgram({ reorderSums = false } = {}): { program: Program; x: Float32Array; params: Tensor[] } {
  const { input, hidden, seq, batch, lr } = W3;
  const data = w3Data();
  const rnn = new RNN({ inputSize: input, hiddenSize: hidden });
  const head = new Linear(hidden, 1);
  rnn.loadStateDict({
    weight_ih_l0: { shape: [hidden, input], data: data.weightIh },
    weight_hh_l0: { shape: [hidden, hidden], data: data.weightHh },
    bias_ih_l0: { shape: [hidden], data: data.biasIh },
    bias_hh_l0: { shape: [hidden], data: data.biasHh },
  });
  head.loadStateDict({ weight: { shape: [1, hidden], data: data.headWeight }, bias: { shape: [1], data: data.headBias } });
  const target = tensor(data.target, { shape: [batch, 1] });
  const x = placeholder([seq, batch, input], "float32", "x");
  const [output] = rnn.call(x);
  const loss = mseLoss(head.call(output.select(0, -1)), target);
  const params = [...rnn.parameters(), ...head.parameters()];
  const grads = grad(loss, params);
  const program = compile({
    inputs: [x],
    outputs: [loss],
    updates: params.map((p, i) => [p, p.sub(grads[i].mul(lr))] as const),
    reorderSums,
  });
  return { program, x: data.x, params };
}

/** W3 as users write it: `zeroGrad(); loss = f(model(x)); loss.backward(); step(); loss.item()`. */
export function pytorchStyleTrainingStep(): { step: () => number; params: Tensor[] } {
  const { input, hidden, seq, batch, lr } = W3;
  const data = w3Data();
  const rnn = new RNN({ inputSize: input, hiddenSize: hidden });
  const head = new Linear(hidden, 1);
  rnn.loadStateDict({
    weight_ih_l0: { shape: [hidden, input], data: data.weightIh },
    weight_hh_l0: { shape: [hidden, hidden], data: data.weightHh },
    bias_ih_l0: { shape: [hidden], data: data.biasIh },
    bias_hh_l0: { shape: [hidden], data: data.biasHh },
  });
  head.loadStateDict({ weight: { shape: [1, hidden], data: data.headWeight }, bias: { shape: [1], data: data.headBias } });
  const target = tensor(data.target, { shape: [batch, 1] });
  const x = tensor(data.x, { shape: [seq, batch, input] });
  const params = [...rnn.parameters(), ...head.parameters()];
  const optimizer = new SGD(params, { lr });
  const step = () => {
    optimizer.zeroGrad();
    const [output] = rnn.call(x);
    const loss = mseLoss(head.call(output.select(0, -1)), target);
    loss.backward();
    optimizer.step();
    return loss.item();
  };
  return { step, params };
}

/** W2 as users write it: forward and `loss.backward()` of the notebook RNN, gradients left in `.grad`. */
export function pytorchStyleNotebook(params: StateDict): { step: (x: Tensor) => void; rnn: RNN } {
  const rnn = new RNN({ inputSize: W2.input, hiddenSize: W2.hidden, batchFirst: true });
  rnn.loadStateDict(params);
  const step = (x: Tensor) => {
    rnn.zeroGrad();
    const [output, hN] = rnn.call(x);
    sum(output).add(sum(hN)).backward();
  };
  return { step, rnn };
}

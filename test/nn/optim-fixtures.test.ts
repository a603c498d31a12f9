/**
 * PyTorch 1.13 parity for the optimizers and learning-rate schedulers (test/fixtures/optim.json,
 * written by make_optim.py; see the README): training trajectories in float64 at the train
 * tolerance, learning-rate sequences to a few ulps, and the errors bad options get.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { Generator, type Tensor, programCacheStats, tensor, trackLiveObjects } from "@gradgraph/core";
import { assertClose } from "@gradgraph/core/testing";
import {
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  Linear,
  MultiStepLR,
  NAdam,
  OneCycleLR,
  type Optimizer,
  ReduceLROnPlateau,
  RMSprop,
  SGD,
  StepLR,
  type SchedulerStateDict,
  mseLoss,
} from "../../packages/nn/src";
import type { FixtureTensor } from "../helpers/fixtures";
import { settledLiveCounts } from "../helpers/liveCounts";

type TorchOptions = Record<string, unknown>;
type SchedulerSpec = { type: string; options: TorchOptions };

interface TrajectoryCase {
  id: string;
  kind: "trajectory";
  optimizer: { type: string; options: TorchOptions; groups: ({ params: string[] } & TorchOptions)[] | null; params: string[] };
  schedulers: SchedulerSpec[];
  steps: number;
  data: { x: FixtureTensor; y: FixtureTensor };
  initial: Record<string, FixtureTensor>;
  float64: {
    losses: number[];
    params: Record<string, FixtureTensor>[];
    lrs: number[][];
    final_state: Record<string, { step: number | null; buffers: Record<string, FixtureTensor> }>;
  };
}

interface ScheduleCase {
  id: string;
  kind: "schedule";
  optimizer: { type: string; options?: TorchOptions; groups: TorchOptions[] };
  schedulers: SchedulerSpec[];
  steps: number;
  metrics: number[] | null;
  lrs: number[][];
  momentums: number[][] | null;
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/optim.json", import.meta.url), "utf8")) as {
  count: number;
  cases: (TrajectoryCase | ScheduleCase)[];
};
const trajectories = fixture.cases.filter((c): c is TrajectoryCase => c.kind === "trajectory");
const schedules = fixture.cases.filter((c): c is ScheduleCase => c.kind === "schedule");

/** 15 optimizer steps in float64 (README: train tolerance). */
const TRAIN = { atol: 1e-8, rtol: 1e-7 };
/** Learning rates are double arithmetic in PyTorch's order; only Math.cos and ** may differ from C's by an ulp a step. */
const RATES = { atol: 1e-17, rtol: 1e-13 };

type AnyOptimizer = Optimizer<any>;
type Scheduler = { step(metric?: number): void; getLastLr(): number[]; stateDict(): SchedulerStateDict; loadStateDict(state: SchedulerStateDict): void };

const optimizers: Record<string, new (params: any, options: any) => AnyOptimizer> = { SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, NAdam };
const schedulerClasses: Record<string, new (optimizer: AnyOptimizer, options: any) => Scheduler> = {
  StepLR,
  MultiStepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearLR,
  OneCycleLR,
  ReduceLROnPlateau: ReduceLROnPlateau as unknown as new (optimizer: AnyOptimizer, options: any) => Scheduler,
};

/** PyTorch's keyword names as gradgraph's options: `weight_decay` → `weightDecay`, `T_max` → `tMax`. */
function camelOptions(options: TorchOptions = {}): TorchOptions {
  const camel = (name: string) => name.split("_").map((word, i) => (i === 0 ? word.toLowerCase() : word[0].toUpperCase() + word.slice(1))).join("");
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [camel(k), v]));
}

function known<T>(table: Record<string, T>, type: string, what: string): T {
  if (!Object.hasOwn(table, type)) throw new Error(`optim.json names ${what} '${type}', which this test cannot build`);
  return table[type];
}

function buildSchedulers(specs: SchedulerSpec[], optimizer: AnyOptimizer): Scheduler[] {
  return specs.map((s) => new (known(schedulerClasses, s.type, "scheduler"))(optimizer, camelOptions(s.options)));
}

/** Schedulers step in the order they were built; ReduceLROnPlateau takes the metric (the step's loss). */
function stepAll(schedulers: Scheduler[], metric: number | undefined): void {
  for (const s of schedulers) {
    if (s instanceof ReduceLROnPlateau) s.step(metric!);
    else s.step();
  }
}

const float64 = ({ shape, data }: FixtureTensor, name?: string) => tensor(data, { shape, dtype: "float64", requiresGrad: true, name });

function makeOptimizer(c: TrajectoryCase, params: Record<string, Tensor>): AnyOptimizer {
  const { type, options, groups } = c.optimizer;
  const input = groups === null ? c.optimizer.params.map((n) => params[n]) : groups.map(({ params: names, ...rest }) => ({ ...camelOptions(rest), params: names.map((n) => params[n]) }));
  return new (known(optimizers, type, "optimizer"))(input, camelOptions(options));
}

/**
 * The recorded run: zeroGrad, loss, backward, record the loss, optimizer step, scheduler steps.
 * With `resumeAt`, the optimizer is replaced at that step by a new one given the old one's
 * `stateDict()`, which must continue exactly as PyTorch's uninterrupted run does.
 */
function replay(c: TrajectoryCase, resumeAt?: number) {
  const params = Object.fromEntries(c.optimizer.params.map((name) => [name, float64(c.initial[name], name)]));
  const x = tensor(c.data.x.data, { shape: c.data.x.shape, dtype: "float64" });
  const y = tensor(c.data.y.data, { shape: c.data.y.shape, dtype: "float64" });
  let optimizer = makeOptimizer(c, params);
  let schedulers = buildSchedulers(c.schedulers, optimizer);
  const losses: number[] = [];
  for (let step = 0; step < c.steps; step++) {
    if (step === resumeAt) {
      const state = optimizer.stateDict();
      // plain data: what a checkpoint's metadata can carry
      const schedulerStates = schedulers.map((s) => JSON.parse(JSON.stringify(s.stateDict())));
      optimizer = makeOptimizer(c, params);
      schedulers = buildSchedulers(c.schedulers, optimizer);
      optimizer.loadStateDict(state);
      schedulers.forEach((s, i) => s.loadStateDict(schedulerStates[i]));
    }
    optimizer.zeroGrad();
    const loss = mseLoss(x.matmul(params.W).add(params.b).tanh().matmul(params.V), y);
    loss.backward();
    losses.push(loss.item());
    optimizer.step();
    stepAll(schedulers, losses[step]);
    const lrs = optimizer.paramGroups.map((g) => g.lr);
    for (const [name, expected] of Object.entries(c.float64.params[step])) {
      assertClose(params[name].data(), expected.data, { ...TRAIN, label: `step ${step + 1} ${name}` });
    }
    assertClose(lrs, c.float64.lrs[step], { ...RATES, label: `lrs after step ${step + 1}` });
  }
  assertClose(losses, c.float64.losses, { ...TRAIN, label: "losses" });
  return optimizer;
}

test("optim.json: every case is read, and every optimizer and scheduler has cases", () => {
  expect(fixture.cases).toHaveLength(fixture.count);
  expect(trajectories.length + schedules.length).toBe(fixture.count);
  expect(new Set(trajectories.map((c) => c.optimizer.type))).toEqual(new Set(Object.keys(optimizers)));
  expect(new Set(fixture.cases.flatMap((c) => c.schedulers.map((s) => s.type)))).toEqual(new Set(Object.keys(schedulerClasses)));
  expect(trajectories.some((c) => c.optimizer.groups !== null)).toBe(true);
});

describe.each(trajectories.map((c) => [c.id, c] as const))("trajectory %s", (_id, c) => {
  test("losses, parameters after every step and the final state match PyTorch (float64)", () => {
    const optimizer = replay(c);
    const { state } = optimizer.stateDict();
    expect(Object.keys(state).sort()).toEqual(Object.keys(c.float64.final_state).sort());
    for (const [index, expected] of Object.entries(c.float64.final_state)) {
      const actual = state[Number(index)];
      if (expected.step !== null) expect(actual.step).toBe(expected.step);
      expect(Object.keys(actual.buffers).sort()).toEqual(Object.keys(expected.buffers).sort());
      for (const [name, buffer] of Object.entries(expected.buffers)) {
        const value = actual.buffers[name];
        expect(value.dtype, `${index}.${name}`).toBe(buffer.dtype ?? "float64");
        // NAdam's mu_product is PyTorch's float32 scalar, bit for bit; the rest are float64 results.
        const tolerance = buffer.dtype === "float32" ? { atol: 0, rtol: 0 } : TRAIN;
        assertClose({ shape: value.shape, data: value.data() }, buffer, { ...tolerance, label: `state ${index}.${name}` });
      }
    }
  });

  test("resumed halfway from stateDict() into a new optimizer and new schedulers, it still follows PyTorch's run", () => {
    replay(c, Math.floor(c.steps / 2));
  });
});

describe.each(schedules.map((c) => [c.id, c] as const))("schedule %s", (_id, c) => {
  test("learning rates (and cycled momentum) after construction and after every step match PyTorch", () => {
    const { type, options, groups } = c.optimizer;
    const optimizer = new (known(optimizers, type, "optimizer"))(
      groups.map((g) => ({ ...camelOptions(g), params: [tensor([0], { dtype: "float64", requiresGrad: true })] })),
      camelOptions(options),
    );
    const schedulers = buildSchedulers(c.schedulers, optimizer);
    const momentumOf = (g: { momentum?: number; betas?: readonly number[] }) => g.betas?.[0] ?? g.momentum!;
    const lrs = [optimizer.paramGroups.map((g) => g.lr)];
    const momentums = [optimizer.paramGroups.map(momentumOf)];
    const lastLrs = [schedulers.at(-1)!.getLastLr()];
    for (let step = 0; step < c.steps; step++) {
      optimizer.step(); // no gradients: nothing moves, but the hyperparameters are checked
      stepAll(schedulers, c.metrics?.[step]);
      lrs.push(optimizer.paramGroups.map((g) => g.lr));
      momentums.push(optimizer.paramGroups.map(momentumOf));
      lastLrs.push(schedulers.at(-1)!.getLastLr());
    }
    assertClose(lrs, c.lrs, { ...RATES, label: "lrs" });
    expect(lastLrs).toEqual(lrs);
    if (c.momentums !== null) assertClose(momentums, c.momentums, { ...RATES, label: "momentum (or betas[0])" });
  });
});

describe("a scheduled PyTorch-style loop stays fast and memory-flat", () => {
  /** NAdam (the optimizer with the most per-step numbers) under OneCycleLR, which moves lr and betas[0] every step. */
  async function scheduledLoop(steps: number, onStep: (step: number) => void | Promise<void>) {
    const generator = new Generator(3);
    const model = new Linear(16, 16, { generator, dtype: "float64" });
    const x = tensor(Array.from({ length: 64 }, (_, i) => Math.sin(i)), { shape: [4, 16], dtype: "float64" });
    const y = tensor(Array.from({ length: 64 }, (_, i) => Math.cos(i)), { shape: [4, 16], dtype: "float64" });
    const optimizer = new NAdam(model.parameters(), { lr: 0.01 });
    const scheduler = new OneCycleLR(optimizer, { maxLr: 0.05, totalSteps: steps });
    for (let step = 1; step <= steps; step++) {
      optimizer.zeroGrad();
      const loss = mseLoss(model.call(x), y);
      loss.backward();
      optimizer.step();
      scheduler.step();
      loss.item();
      await onStep(step);
    }
  }

  test("after the first steps every evaluation runs a compiled program, though lr and betas change every step", async () => {
    let missesAfterWarmup = 0;
    await scheduledLoop(30, (step) => {
      if (step === 5) missesAfterWarmup = programCacheStats().misses;
    });
    expect(programCacheStats().misses).toBe(missesAfterWarmup);
  });

  test("the same live nodes and arrays at step 50 and at step 300", async () => {
    trackLiveObjects(true);
    try {
      const counts: Readonly<Record<string, number>>[] = [];
      await scheduledLoop(300, async (step) => {
        if (step === 50 || step === 300) counts.push(await settledLiveCounts());
      });
      expect(counts[0].nodes).toBeGreaterThan(0);
      expect(counts[1]).toEqual(counts[0]);
    } finally {
      trackLiveObjects(false);
    }
  });
});

describe("bad options are refused, naming the optimizer or scheduler, what was expected and what came", () => {
  const p = () => tensor([1, 2], { requiresGrad: true, dtype: "float64", name: "w" });
  const any = (value: unknown) => value as never;

  test.each([
    ["RMSprop negative lr", () => new RMSprop([p()], { lr: -1 }), "RMSprop: Invalid learning rate: -1 (expected a finite number >= 0)"],
    ["Adagrad negative lr", () => new Adagrad([p()], { lr: -0.1 }), "Adagrad: Invalid learning rate: -0.1 (expected a finite number >= 0)"],
    ["Adamax NaN lr", () => new Adamax([p()], { lr: NaN }), "Adamax: Invalid learning rate: NaN (expected a finite number >= 0)"],
    ["NAdam negative lr in a group", () => new NAdam([{ params: [p()], lr: -2 }]), "NAdam: parameter group 0: Invalid learning rate: -2"],
    ["Adamax beta1 = 1", () => new Adamax([p()], { betas: [1, 0.999] }), "Adamax: Invalid beta parameter at index 0: 1 (expected a finite number >= 0 and < 1)"],
    ["NAdam beta2 < 0", () => new NAdam([p()], { betas: [0.9, -0.1] }), "NAdam: Invalid beta parameter at index 1: -0.1 (expected a finite number >= 0 and < 1)"],
    ["NAdam betas in a group", () => new NAdam([{ params: [p()], betas: [0.9, 1] }]), "NAdam: parameter group 0: Invalid beta parameter at index 1: 1"],
    ["Adamax betas of 3", () => new Adamax([p()], { betas: any([0.9, 0.99, 0.5]) }), "Adamax: betas must be a list of 2 numbers, got [0.9,0.99,0.5]"],
    ["RMSprop alpha", () => new RMSprop([p()], { alpha: -0.5 }), "RMSprop: Invalid alpha value: -0.5 (expected a finite number >= 0)"],
    ["RMSprop momentum", () => new RMSprop([p()], { momentum: -1 }), "RMSprop: Invalid momentum value: -1"],
    ["RMSprop centered as a number", () => new RMSprop([p()], { centered: any(1) }), "RMSprop: centered must be a boolean, got 1"],
    ["Adagrad lr decay", () => new Adagrad([p()], { lrDecay: -1 }), "Adagrad: Invalid lr_decay value: -1"],
    ["Adagrad accumulator", () => new Adagrad([p()], { initialAccumulatorValue: -1 }), "Adagrad: Invalid initial_accumulator_value value: -1"],
    ["NAdam momentum decay", () => new NAdam([p()], { momentumDecay: -0.004 }), "NAdam: Invalid momentum_decay value: -0.004"],
    ["RMSprop misspelt option", () => new RMSprop([p()], any({ momentun: 0.9 })), "RMSprop: unknown option 'momentun' (options are lr, alpha, eps, weightDecay, momentum, centered)"],
    ["Adagrad PyTorch-cased option", () => new Adagrad([p()], any({ lr_decay: 0.1 })), "Adagrad: unknown option 'lr_decay' (options are lr, lrDecay, weightDecay, initialAccumulatorValue, eps)"],
    ["NAdam unknown option in a group", () => new NAdam(any([{ params: [p()], nesterov: true }])), "NAdam: parameter group 0: unknown option 'nesterov'"],
    ["a group without params", () => new Adamax(any([{ lr: 0.1 }])), "Adamax: parameter group 0 has no params (expected {params: Tensor[], ...options}, got an object with 'lr')"],
    ["a later group without params", () => new SGD(any([{ params: [p()] }, {}]), { lr: 0.1 }), "SGD: parameter group 1 has no params (expected {params: Tensor[], ...options}, got an empty object)"],
    ["a tensor among groups", () => new RMSprop(any([{ params: [p()] }, p()])), "RMSprop: parameter group 1 must be an object {params, ...options} like group 0, got"],
    ["Adagrad per-group accumulator", () => new Adagrad([{ params: [p()], initialAccumulatorValue: 0.1 }]), "Adagrad: parameter group 0: initialAccumulatorValue 0.1 differs from the optimizer's 0"],
  ])("%s", (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test("a parameter in two groups, or twice in one, is refused with both places", () => {
    const w = p();
    expect(() => new NAdam([{ params: [p(), w] }, { params: [w], lr: 0.1 }])).toThrow(
      "NAdam: parameter 0 of group 1 ('w' float64 [2]) appears more than once: in parameter group 0 too (each parameter belongs to one group, once)",
    );
    expect(() => new Adamax([{ params: [w, w] }])).toThrow("Adamax: parameter 1 of group 0 ('w' float64 [2]) appears more than once: earlier in the same group");
  });

  test("a group's hyperparameter changed to a bad value is refused at the next step", () => {
    const optimizer = new RMSprop([{ params: [p()] }, { params: [p()] }]);
    optimizer.paramGroups[1].lr = -0.5;
    expect(() => optimizer.step()).toThrow("RMSprop: parameter group 1: Invalid learning rate: -0.5 (expected a finite number >= 0)");
    optimizer.paramGroups[1].lr = any("0.1");
    expect(() => optimizer.step()).toThrow(`RMSprop: parameter group 1: lr must be a number, got "0.1"`);
  });

  const sgd = () => new SGD([{ params: [p()] }, { params: [p()], lr: 0.05 }], { lr: 0.1, momentum: 0.9 });
  const adagrad = () => new Adagrad([p()]);

  test.each([
    ["not an optimizer", () => new StepLR(any({ paramGroups: [] }), { stepSize: 2 }), "StepLR: optimizer must be an Optimizer, got an object"],
    ["StepLR stepSize 0", () => new StepLR(sgd(), { stepSize: 0 }), "StepLR: stepSize must be a positive integer, got 0"],
    ["StepLR without stepSize", () => new StepLR(sgd(), any({})), "StepLR: stepSize must be a positive integer, got undefined"],
    ["StepLR PyTorch-cased option", () => new StepLR(sgd(), any({ step_size: 3 })), "StepLR: unknown option(s) 'step_size' (options are stepSize, gamma)"],
    ["MultiStepLR negative milestone", () => new MultiStepLR(sgd(), { milestones: [3, -1] }), "MultiStepLR: milestones[1] must be a non-negative integer, got -1"],
    ["MultiStepLR milestones not a list", () => new MultiStepLR(sgd(), { milestones: any(3) }), "MultiStepLR: milestones must be a list of step numbers, got 3"],
    ["ExponentialLR gamma as a string", () => new ExponentialLR(sgd(), { gamma: any("0.9") }), `ExponentialLR: gamma must be a finite number >= 0, got "0.9"`],
    ["CosineAnnealingLR tMax 0", () => new CosineAnnealingLR(sgd(), { tMax: 0 }), "CosineAnnealingLR: tMax must be a positive integer, got 0"],
    ["CosineAnnealingLR etaMin", () => new CosineAnnealingLR(sgd(), { tMax: 5, etaMin: -1 }), "CosineAnnealingLR: etaMin must be a finite number >= 0, got -1"],
    ["LinearLR startFactor 0", () => new LinearLR(sgd(), { startFactor: 0 }), "LinearLR: startFactor must be a number > 0 and <= 1, got 0"],
    ["LinearLR endFactor", () => new LinearLR(sgd(), { endFactor: 1.5 }), "LinearLR: endFactor must be a number >= 0 and <= 1, got 1.5"],
    ["OneCycleLR without steps", () => new OneCycleLR(sgd(), { maxLr: 0.1 }), "OneCycleLR: give totalSteps, or epochs and stepsPerEpoch"],
    ["OneCycleLR epochs only", () => new OneCycleLR(sgd(), { maxLr: 0.1, epochs: 3 }), "OneCycleLR: stepsPerEpoch must be a positive integer, got undefined"],
    ["OneCycleLR maxLr per group", () => new OneCycleLR(sgd(), { maxLr: [0.1, 0.2, 0.3], totalSteps: 10 }), "OneCycleLR: maxLr must have one value per parameter group (2), got 3 values"],
    ["OneCycleLR negative maxLr", () => new OneCycleLR(sgd(), { maxLr: [0.1, -0.2], totalSteps: 10 }), "OneCycleLR: maxLr[1] must be a finite number >= 0, got -0.2"],
    ["OneCycleLR anneal strategy", () => new OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 10, annealStrategy: any("cosine") }), `OneCycleLR: annealStrategy must be "cos" or "linear", got "cosine"`],
    ["OneCycleLR pctStart", () => new OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }), "OneCycleLR: pctStart must be a number between 0 and 1, got 1.5"],
    ["OneCycleLR momentum 1", () => new OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 10, maxMomentum: 1 }), "OneCycleLR: maxMomentum must be a number >= 0 and < 1, or a list of one per parameter group, got 1"],
    ["OneCycleLR cycling Adagrad's momentum", () => new OneCycleLR(adagrad(), { maxLr: 0.1, totalSteps: 10 }), "OneCycleLR: cycleMomentum needs an optimizer with momentum or betas; pass cycleMomentum: false"],
    ["OneCycleLR phase of no steps", () => new OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 10, pctStart: 0.1 }), "OneCycleLR: step 0 falls in phase 0 of the cycle, which has no steps"],
    ["ReduceLROnPlateau factor 1", () => new ReduceLROnPlateau(sgd(), { factor: 1 }), "ReduceLROnPlateau: factor must be a number >= 0 and < 1, got 1"],
    ["ReduceLROnPlateau mode", () => new ReduceLROnPlateau(sgd(), { mode: any("minimum") }), `ReduceLROnPlateau: mode must be "min" or "max", got "minimum"`],
    ["ReduceLROnPlateau minLr per group", () => new ReduceLROnPlateau(sgd(), { minLr: [0.1] }), "ReduceLROnPlateau: minLr must have one value per parameter group (2), got 1 values"],
    ["ReduceLROnPlateau patience", () => new ReduceLROnPlateau(sgd(), { patience: 1.5 }), "ReduceLROnPlateau: patience must be a non-negative integer, got 1.5"],
  ])("%s", (_name, make, message) => {
    expect(make).toThrow(message);
  });

  test("OneCycleLR refuses to step past its cycle, and ReduceLROnPlateau wants a number", () => {
    const scheduler = new OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) scheduler.step();
    expect(() => scheduler.step()).toThrow("OneCycleLR: tried to step 5 times; the specified number of total steps is 3");
    expect(scheduler.lastEpoch).toBe(3);
    const plateau = new ReduceLROnPlateau(sgd());
    expect(() => plateau.step(any("0.5"))).toThrow(`ReduceLROnPlateau: metric must be a number or a one-element Tensor, got "0.5"`);
    plateau.step(tensor([0.5], { dtype: "float64" }));
    expect(plateau.lastEpoch).toBe(1);
  });
});

/**
 * Modules and parameters assigned as attributes register as PyTorch's __setattr__ registers them:
 * in assignment order, replaced in place, cleared by null (None), removed by delete, a buffer
 * updated. The classes below are make_module_repr.py's Block, Net, Reorder and Mistake written in
 * TypeScript; the "registration" cases of module-repr.json hold the names, shapes and order
 * PyTorch 1.13 gives them, and how it prints them.
 */
import { type Tensor, full, ones, randn, tensor, zeros } from "@gradgraph/core";
import { describe, expect, test } from "vitest";
import { Linear, Module, ModuleList, ReLU, SGD, Sequential, Tanh } from "../../packages/nn/src";
import { loadFixture } from "../helpers/fixtures";

type Registration = {
  id: string;
  kind: "registration";
  repr: string;
  named_parameters: [string, number[]][];
  parameter_count: number;
  named_buffers: string[];
  state_dict: Record<string, { shape: number[]; sum?: number }>;
  named_children: string[];
  named_modules: string[];
};
const torchCases = new Map(
  loadFixture<Registration | { kind: string; id: string }>("module-repr.json")
    .filter((c): c is Registration => c.kind === "registration")
    .map((c) => [c.id, c]),
);

/** nn.Parameter(torch.full(shape, value)). */
const parameter = (shape: number[], value = 0) => full(shape, value, { requiresGrad: true });

class Block extends Module {
  lin: Linear;
  scale: Tensor;
  act: Tanh;
  constructor() {
    super();
    this.lin = new Linear(4, 4);
    this.scale = parameter([4], 1);
    this.registerBuffer("count", zeros([]));
    this.act = new Tanh();
  }
  forward(x: Tensor): Tensor {
    return this.act.forward(this.lin.forward(x).mul(this.scale));
  }
}

class Net extends Module {
  fc1: Linear;
  block: Block;
  gain: Tensor;
  fc2: Linear;
  temp?: Linear;
  head: Sequential;
  spare: Linear | null;
  offset: Tensor | null;
  steps: number;
  constructor() {
    super();
    this.fc1 = new Linear(3, 4);
    this.block = new Block();
    this.gain = parameter([2], 1);
    this.fc2 = new Linear(4, 2);
    this.fc1 = new Linear(3, 4, { bias: false }); // replaced: keeps its place
    this.temp = new Linear(2, 2);
    delete this.temp; // deleted: gone
    this.head = new Sequential(new ReLU(), new Linear(2, 1));
    this.spare = new Linear(1, 1);
    this.spare = null; // cleared: the slot stays (printed as None), nothing in it
    this.offset = parameter([1]);
    this.gain = parameter([2], 2); // replaced: keeps its place
    this.offset = null;
    this.steps = 3; // a plain attribute
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.fc2.forward(this.block.forward(this.fc1.forward(x))).mul(this.gain));
  }
}

class Reorder extends Module {
  a?: Linear;
  w?: Tensor | Linear;
  b: Linear;
  m: Linear | Tensor;
  stat!: Tensor;
  gone!: Tensor | null;
  cleared: Linear | null;
  late: Linear | null;
  p: Tensor | null;
  q: Tensor;
  constructor() {
    super();
    this.a = new Linear(1, 1);
    this.w = parameter([3]);
    this.b = new Linear(1, 1);
    delete this.a;
    this.a = new Linear(1, 2); // back, after b
    delete this.w; // (assigning a module to a parameter's name is a TypeError)
    this.w = new Linear(2, 2); // a child now, after a
    this.m = new Linear(1, 1);
    this.m = parameter([5]); // a child's name taken by a parameter
    this.registerBuffer("stat", zeros([2]));
    this.stat = ones([2]); // the buffer updated
    this.registerBuffer("gone", zeros([1]));
    this.gone = null; // a buffer cleared: not in the state dict
    this.cleared = new Linear(1, 1);
    this.cleared = null;
    this.late = null; // a plain attribute
    this.late = new Linear(3, 3); // now a child
    this.cleared = new Linear(2, 1); // back in its old place, before late
    this.p = parameter([2]);
    this.q = parameter([1]);
    this.p = null;
    this.p = parameter([4], 1); // back in its old place, before q
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** What PyTorch's case records, read from a gradgraph module the same way. */
function registrationOf(model: Module<any[], unknown>): Omit<Registration, "id" | "kind"> {
  const stateDict = model.stateDict();
  return {
    repr: String(model),
    named_parameters: model.namedParameters().map(([key, p]) => [key, [...p.shape]]),
    parameter_count: model.parameters().length,
    named_buffers: model.namedBuffers().map(([key]) => key),
    state_dict: Object.fromEntries(
      Object.entries(stateDict).map(([key, t]) => [
        key,
        { shape: [...t.shape], ...(/(weight|bias)$/.test(key) ? {} : { sum: Array.from(t.data()).reduce((a, b) => a + b, 0) }) },
      ]),
    ),
    named_children: model.namedChildren().map(([key]) => key),
    named_modules: model.namedModules().map(([key]) => key),
  };
}

describe("attributes register as in PyTorch", () => {
  test.each([
    ["net", () => new Net()],
    ["reorder", () => new Reorder()],
  ] as const)("%s: names, shapes, order and printing are PyTorch's", (id, build) => {
    const { id: _, kind: __, ...expected } = torchCases.get(id)!;
    expect(registrationOf(build())).toEqual(expected);
  });

  test("registered attributes are the model's: named by their path, scoped, trained by an optimizer", () => {
    const net = new Net();
    expect(net.fc1.weight.name).toBe("net.fc1.weight");
    expect(net.gain.name).toBe("net.gain");
    expect(net.block.lin.path).toBe("net.block.lin");
    // Every parameter moves under one SGD step of a loss that reaches them all (none is zero).
    const before = net.parameters().map((p) => Array.from(p.data()));
    const optimizer = new SGD(net.parameters(), { lr: 0.1 });
    net
      .parameters()
      .map((p) => p.square().sum())
      .reduce((a, b) => a.add(b))
      .backward();
    optimizer.step();
    const moved = net.parameters().map((p, i) => Array.from(p.data()).some((v, j) => v !== before[i][j]));
    expect(Object.fromEntries(net.namedParameters().map(([key], i) => [key, moved[i]]))).toEqual({
      gain: true,
      "fc1.weight": true,
      "block.scale": true,
      "block.lin.weight": true,
      "block.lin.bias": true,
      "fc2.weight": true,
      "fc2.bias": true,
      "head.1.weight": true,
      "head.1.bias": true,
    });
  });

  test("to(dtype) converts attribute-registered parameters and points the attributes at them", () => {
    const net = new Net().double();
    expect(net.gain.dtype).toBe("float64");
    expect(net.parameters()[0]).toBe(net.gain);
    expect(Object.values(net.stateDict()).map((t) => t.dtype)).toEqual(new Array(10).fill("float64"));
  });

  test("register* and attributes are one namespace", () => {
    class Mixed extends Module {
      readonly fc = new Linear(2, 2);
      constructor() {
        super();
        this.registerModule("dynamic", new Tanh());
        this.registerParameter("alpha", zeros([1]));
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const mixed = new Mixed() as Mixed & Record<string, unknown>;
    // register* define the attribute, as PyTorch's __getattr__ finds registered names.
    expect(mixed.dynamic).toBeInstanceOf(Tanh);
    expect(mixed.alpha).toBe(mixed.parameters()[0]);
    expect(mixed.namedChildren().map(([key]) => key)).toEqual(["fc", "dynamic"]);
    expect(() => mixed.registerModule("fc", new Tanh())).toThrow("Mixed: attribute 'fc' already exists");
    expect(() => mixed.registerParameter("training", zeros([1]))).toThrow("Mixed: attribute 'training' already exists");
    expect(() => mixed.registerModule("forward", new Tanh())).toThrow("Mixed: attribute 'forward' already exists");
    // An attribute assignment replaces what register* registered, in its place.
    mixed.dynamic = new ReLU();
    expect(mixed.namedChildren().map(([key, child]) => [key, child.constructor.name])).toEqual([
      ["fc", "Linear"],
      ["dynamic", "ReLU"],
    ]);
  });

  test("wrong kinds for a registered name are refused as PyTorch refuses them", () => {
    const net = new Net() as Net & Record<string, unknown>;
    expect(() => (net.gain = new Linear(1, 1) as unknown as Tensor)).toThrow(
      "Net: cannot assign a Linear as parameter 'gain' (a float leaf tensor with requiresGrad: true, or null, expected)",
    );
    expect(() => (net.fc2 = 3 as unknown as Linear)).toThrow("Net: cannot assign 3 as child module 'fc2' (a Module or null expected)");
    expect(() => (net.gain = zeros([2]))).toThrow("Net: cannot assign Tensor");
    expect(() => ((net.block as Block & Record<string, unknown>).count = 1)).toThrow("Block: buffer 'count' must be a leaf tensor that is not a shared constant, got 1");
    // Nothing changed.
    expect(net.namedParameters().map(([key]) => key)[0]).toBe("gain");
    expect(net.fc2).toBeInstanceOf(Linear);
  });

  test("a second name for a registered value is a plain attribute, as the built-in layers' camelCase names are", () => {
    class Alias extends Module {
      readonly fc = new Linear(2, 2);
      readonly sameFc = this.fc;
      readonly w = parameter([2]);
      readonly sameW = this.w;
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const alias = new Alias();
    expect(alias.namedChildren().map(([key]) => key)).toEqual(["fc"]);
    expect(Object.keys(alias.stateDict())).toEqual(["w", "fc.weight", "fc.bias"]);
  });

  test("private fields and plain tensors are not registered", () => {
    class Private extends Module {
      readonly #hidden = new Linear(2, 2);
      readonly constant = zeros([2]); // not a parameter: it does not require gradients (PyTorch's plain tensor attribute)
      forward(x: Tensor): Tensor {
        return this.#hidden.forward(x);
      }
    }
    const model = new Private();
    expect(model.parameters()).toEqual([]);
    expect(model.stateDict()).toEqual({});
    expect(model.forward(tensor([[1, 2]])).shape).toEqual([1, 2]);
  });
});

describe("modules and parameters hidden in plain arrays and objects are refused", () => {
  test("PyTorch does not see them (the fixture); gradgraph throws at the assignment, naming the way out", () => {
    expect(torchCases.get("mistake")!.parameter_count).toBe(0);
    class Mistake extends Module {
      layers: Linear[];
      constructor() {
        super();
        this.layers = [new Linear(2, 2), new Linear(2, 2)];
      }
      forward(x: Tensor): Tensor {
        return this.layers.reduce((h, layer) => layer.forward(h), x);
      }
    }
    expect(() => new Mistake()).toThrow(
      "Mistake: attribute 'layers' holds a Module (Linear) at layers[0] inside a plain array, where it is not registered: " +
        "parameters(), stateDict() and optimizers would not see it. As PyTorch needs nn.ModuleList for this, hold modules in a " +
        "ModuleList or ModuleDict (this.layers = new ModuleList([...])), or register each with registerModule(name, module)",
    );
  });

  test("pushed after the assignment, they are refused when the module's parameters or modules are asked for", () => {
    class Pushed extends Module {
      readonly layers: Linear[] = [];
      constructor() {
        super();
        for (let i = 0; i < 2; i++) this.layers.push(new Linear(2, 2));
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const model = new Pushed();
    const message = "Pushed: attribute 'layers' holds a Module (Linear) at layers[0] inside a plain array";
    expect(() => model.parameters()).toThrow(message);
    expect(() => model.stateDict()).toThrow(message);
    expect(() => model.train()).toThrow(message);
    // ... also when asked from a parent.
    expect(() => new Sequential(model).parameters()).toThrow(message);
  });

  test("in plain objects and nested arrays, parameters too", () => {
    class InObject extends Module {
      readonly heads = { query: new Linear(2, 2) };
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    class ParameterList extends Module {
      readonly weights = [[randn([2], { requiresGrad: true })]];
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new InObject()).toThrow("InObject: attribute 'heads' holds a Module (Linear) at heads.query inside a plain object");
    expect(() => new ParameterList()).toThrow(/^ParameterList: attribute 'weights' holds a parameter \(Tensor\(.*\)\) at weights\[0\]\[0\] inside a plain array/);
  });

  test("registered modules and parameters may be listed in plain arrays (Sequential, the recurrent layers do)", () => {
    class Listed extends Module {
      readonly fc = new Linear(2, 2);
      readonly inner = new ModuleList([new Tanh()]);
      readonly all = [this.fc, this.inner.at(0), this.fc.weight];
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(new Listed().parameters()).toHaveLength(2);
  });
});

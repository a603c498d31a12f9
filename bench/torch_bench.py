"""PyTorch's side of the benchmark: the workloads of bench/common.ts, timed the same way.

Run by bench/run.ts when `python3` can import torch; alone: `python3 bench/torch_bench.py [--memory]`.
Prints `RESULT <json>` like the Node children. W1 and W3 run with 1 and with 2 threads.
"""
import ctypes
import json
import math
import os
import re
import resource
import sys
import time

import torch

W1_SIZES = [64, 256, 512, 1024]
W2 = dict(input=5, hidden=2, seq=3, batch=1)
W3 = dict(input=32, hidden=128, seq=50, batch=32, lr=0.01)
W4 = dict(chain=1000, shape=(2, 2))
W3_MEMORY_STEPS = 30


def uniform_array(length, low, high, seed):
    """The xorshift32 stream of bench/common.ts, so every implementation sees the same data."""
    out = []
    state = seed & 0xFFFFFFFF or 1
    for _ in range(length):
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        out.append(low + (high - low) * (state / 4294967296))
    return torch.tensor(out, dtype=torch.float32)


def median_ms(fn, warmup_ms=300, budget_ms=2000, min_samples=9):
    """Median milliseconds per call, in batches of at least ~2 ms, after a warm-up (as medianMs)."""
    warm_end = time.perf_counter() + warmup_ms / 1e3
    calls = 0
    while True:
        fn()
        calls += 1
        if time.perf_counter() >= warm_end:
            break
    batch = max(1, math.ceil(2 / (warmup_ms / calls)))
    samples = []
    end = time.perf_counter() + budget_ms / 1e3
    while len(samples) < min_samples or time.perf_counter() < end:
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - start) * 1e3 / batch)
    samples.sort()
    return samples[len(samples) // 2]


def w3_step():
    c = W3
    k = 1 / c["hidden"] ** 0.5
    rnn = torch.nn.RNN(c["input"], c["hidden"])
    head = torch.nn.Linear(c["hidden"], 1)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(uniform_array(c["hidden"] * c["input"], -k, k, 3).view(c["hidden"], c["input"]))
        rnn.weight_hh_l0.copy_(uniform_array(c["hidden"] * c["hidden"], -k, k, 4).view(c["hidden"], c["hidden"]))
        rnn.bias_ih_l0.copy_(uniform_array(c["hidden"], -k, k, 5))
        rnn.bias_hh_l0.copy_(uniform_array(c["hidden"], -k, k, 6))
        head.weight.copy_(uniform_array(c["hidden"], -k, k, 7).view(1, c["hidden"]))
        head.bias.copy_(uniform_array(1, -k, k, 8))
    x = uniform_array(c["seq"] * c["batch"] * c["input"], -1, 1, 1).view(c["seq"], c["batch"], c["input"])
    target = uniform_array(c["batch"], -1, 1, 2).view(c["batch"], 1)
    optimizer = torch.optim.SGD([*rnn.parameters(), *head.parameters()], lr=c["lr"])
    criterion = torch.nn.MSELoss()

    def step():
        optimizer.zero_grad()
        output, _ = rnn(x)
        loss = criterion(head(output[-1]), target)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def loaded_blas():
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})


def set_threads(threads):
    """torch's intra-op threads and, when the BLAS is OpenBLAS (it keeps its own pool), OpenBLAS's too."""
    torch.set_num_threads(threads)
    for path in loaded_blas():
        setter = getattr(ctypes.CDLL(path), "openblas_set_num_threads", None)
        if setter is not None:
            setter(threads)


def openblas_kernels():
    """The kernel family OpenBLAS chose: 0.3.21 takes this CPU for "Prescott" (SSE3) unless OPENBLAS_CORETYPE says otherwise."""
    for path in loaded_blas():
        corename = getattr(ctypes.CDLL(path), "openblas_get_corename", None)
        if corename is not None:
            corename.restype = ctypes.c_char_p
            return [f"OpenBLAS kernels: {corename().decode()} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})"]
    return []


def blas_info():
    """Debian's torch says BLAS_INFO=generic: it calls whichever libblas.so.3 the system selected, so name the one loaded."""
    return ", ".join(re.findall(r"BLAS_INFO=\w+", torch.__config__.show()) + loaded_blas() + openblas_kernels())


def main():
    if "--memory" in sys.argv:
        set_threads(1)
        step = w3_step()
        for _ in range(W3_MEMORY_STEPS):
            step()
        print("RESULT " + json.dumps({"peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        return

    default_threads = torch.get_num_threads()
    notes = [
        f"torch {torch.__version__}, {default_threads} threads by default (W2, W4), OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}",
        f"BLAS: {blas_info()}",
    ]
    w1 = {}
    w3 = {}
    for threads in (1, 2):
        set_threads(threads)
        for n in W1_SIZES:
            a = uniform_array(n * n, -1, 1, 11).view(n, n)
            b = uniform_array(n * n, -1, 1, 12).view(n, n)
            ms = median_ms(lambda: torch.matmul(a, b))
            w1[f"{n}/{threads}t"] = 2 * n**3 / (ms * 1e6)
        w3[f"{threads}t"] = median_ms(w3_step())
    set_threads(default_threads)

    fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "seed.json")
    with open(fixture) as f:
        seed = json.load(f)["cases"][0]
    rnn = torch.nn.RNN(W2["input"], W2["hidden"], batch_first=True)
    with torch.no_grad():
        for name, value in seed["params"].items():
            getattr(rnn, name).copy_(torch.tensor(value["data"]).view(value["shape"]))
    x = torch.tensor(seed["input"]["data"]).view(W2["batch"], W2["seq"], W2["input"])

    def notebook():
        rnn.zero_grad(set_to_none=True)
        output, h_n = rnn(x)
        (output.sum() + h_n.sum()).backward()
        return [p.grad for p in rnn.parameters()]

    w2 = median_ms(notebook) * 1e3

    y = uniform_array(4, -1, 1, 13).view(*W4["shape"])
    start = uniform_array(4, -1, 1, 14).view(*W4["shape"])

    def chain():
        acc = start
        for _ in range(W4["chain"]):
            acc = acc + y
        return acc

    w4 = median_ms(chain) * 1e3 / W4["chain"]
    print("RESULT " + json.dumps({"w1": w1, "w2": w2, "w3": w3, "w4": {"lazy": w4}, "notes": notes}))


if __name__ == "__main__":
    main()

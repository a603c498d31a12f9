"""PyTorch's side of bench/transforms.ts: the same per-sample gradients and forward-mode product,
timed the same way (median ms per call after a warm-up), on functorch (PyTorch 1.13; torch.func in 2.x).

Run by bench/transforms.ts with OPENBLAS_CORETYPE=SkylakeX and one thread.
"""
import time

import functorch
import torch

from torch_bench import blas_info, set_threads

set_threads(1)
SAMPLES, INPUTS, HIDDEN, OUTPUTS, DEPTH = 64, 32, 64, 10, 16


def median_ms(fn, budget=2.0, warmup=0.3):
    end = time.perf_counter() + warmup
    while time.perf_counter() < end:
        fn()
    times = []
    end = time.perf_counter() + budget
    while time.perf_counter() < end or len(times) < 9:
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


torch.manual_seed(0)
w1 = torch.randn(INPUTS, HIDDEN) / INPUTS ** 0.5
w2 = torch.randn(HIDDEN, OUTPUTS) / HIDDEN ** 0.5
xs = torch.rand(SAMPLES, INPUTS) * 2 - 1
ys = torch.rand(SAMPLES, OUTPUTS) * 2 - 1


def loss(a, b, x, y):
    return (torch.tanh(x @ a) @ b - y).pow(2).sum()


per_sample = functorch.vmap(functorch.grad(loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))


def looped():
    a, b = w1.clone().requires_grad_(), w2.clone().requires_grad_()
    grads = [torch.autograd.grad(loss(a, b, xs[i], ys[i]), [a, b]) for i in range(SAMPLES)]
    return torch.stack([g[0] for g in grads]), torch.stack([g[1] for g in grads])


print(f"PyTorch {torch.__version__} (functorch), 1 thread; {blas_info()}:")
print(f"  vmap(grad):          {median_ms(lambda: per_sample(w1, w2, xs, ys)):.3f} ms per batch")
print(f"  loop of grad, stack: {median_ms(looped):.3f} ms per batch")
layers = [torch.randn(HIDDEN, HIDDEN) / HIDDEN ** 0.5 for _ in range(DEPTH)]


def deep(x):
    for w in layers:
        x = torch.tanh(x @ w)
    return x


x0, t0 = torch.rand(8, HIDDEN), torch.rand(8, HIDDEN)
print(f"  jvp (forward AD):    {median_ms(lambda: functorch.jvp(deep, (x0,), (t0,))):.3f} ms per call")

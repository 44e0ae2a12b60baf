"""Speed of mne-oivae's batched training engine, measured side by side.

Prints, in one run on one machine:

1. the time of one training step (minibatch gather, ELBO, backward, Adam and
   proximal step) of the package's engine and of a per-group-loop reference of
   the same math with the same parameters (``loop_reference.py``, the structure
   of the original oi-VAE code), and their ratio, for five configurations; the
   ``bound`` column is the ratio an engine doing the package's matmul FLOPs
   (:func:`step_flops`) at the ``torch.matmul`` peak would reach;
2. the arithmetic rate of the package's step on MEG vertices at batch 4096
   (the matmul FLOPs it does, forward + backward, counted analytically by
   :func:`step_flops`) against the peak of ``torch.matmul`` measured in the same
   run (the roofline ratio);
3. the peak memory (the kernel's RSS high-water mark ``VmHWM``, in a fresh
   process, above its RSS before the data exist) of a vertex-level fit on
   41,000 x 8,000 float32 data, relative to the size of that array (Linux).

The last line is
``small_batch_min_ratio=<x> all_min_ratio=<x> roofline=<x> mem_ratio=<x>``:
the smallest speed-up over the configurations with batch <= 256 and >= 29
groups, over all configurations, the roofline ratio and the memory ratio.

Package and reference steps are timed interleaved (a few steps of one, then
of the other, repeated) and the medians compared, so that load from other
processes affects both alike.

Usage::

    python benchmarks/speed.py [--threads 1] [--device cpu] [--repeats 5] [--no-memory]
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from mne_oivae.engine import (Architecture, GroupLayout, Network, TrainConfig, Trainer,
                              bucket_cost_for, is_expanded)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loop_reference import LoopOIVAE, LoopTrainer  # noqa: E402

N_VERTICES = 8000


def vertex_sizes(n_features=N_VERTICES, n_groups=44, seed=1):
    """Vertices per region, 20-700 like a cortical parcellation, summing to n_features."""
    sizes = np.clip(np.random.default_rng(seed).lognormal(np.log(150), 0.8, n_groups), 20, 700)
    sizes = np.round(sizes * n_features / sizes.sum()).astype(int)
    sizes[np.argmax(sizes)] += n_features - sizes.sum()
    return sizes


# name: (group sizes, batch, K, p, generator hidden widths)
CONFIGS = {
    "mocap-like": (np.random.default_rng(0).integers(1, 4, 29), 64, 16, 2, (32,)),
    "MEG labels": (np.ones(44, int), 4096, 20, 1, (16,)),
    "MEG vertices": (vertex_sizes(), 256, 20, 2, (32,)),
    "MEG vertices ": (vertex_sizes(), 4096, 20, 2, (32,)),
    "fine parcellation": (np.random.default_rng(2).integers(15, 26, 360), 256, 20, 2, (32,)),
}
ROOFLINE_CONFIG = "MEG vertices "


def contiguous_groups(sizes):
    edges = np.cumsum([0, *sizes])
    return [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:])]


def step_flops(module, batch):
    """Matmul FLOPs of one training step, forward and backward, of the package's math.

    Real features only (padding not counted). Hidden layers take three matmuls
    (forward, input gradient, weight gradient), the encoder two (no gradient
    of x). The output layer of a bucket takes three, or, where the package
    computes the squared error from h^T x and h^T h (``is_expanded``), two plus
    h^T h. Recomputing hidden activations in the backward pass is not counted.
    """
    layout = module.layout
    n_groups, n_features = len(layout.sizes), layout.n_features
    k, p = module.W.shape[-1], module.W.shape[-2]
    flops = 2 * 2 * batch * n_features * 2 * k + 3 * 2 * batch * n_groups * k * p
    for weight in module.gen_weights:
        flops += 3 * 2 * batch * n_groups * weight.shape[-2] * weight.shape[-1]
    for bucket, V in zip(layout.buckets, module.out_weights):
        features, inner = int(layout.sizes[bucket.groups].sum()), V.shape[-2]
        if is_expanded(bucket.width, inner):
            flops += 2 * 2 * batch * inner * features + 2 * batch * inner**2 * bucket.n_groups
        else:
            flops += 3 * 2 * batch * inner * features
    return flops


class Timer:
    """Seconds of a callable, with device synchronisation."""

    def __init__(self, device):
        self.sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def __call__(self, fn):
        self.sync()
        start = time.perf_counter()
        fn()
        self.sync()
        return time.perf_counter() - start


def build(sizes, batch, k, p, hidden, device, seed=0):
    """Package trainer and loop trainer on the same data and parameters."""
    groups = contiguous_groups(sizes)
    n_features = int(np.sum(sizes))
    rows = max(4 * batch, 4096)
    X = torch.randn(rows, n_features, generator=torch.Generator().manual_seed(seed)).to(device)
    width = hidden[-1] if hidden else p
    layout = GroupLayout(groups, bucket_cost_for(batch, width))
    module = Network(layout, Architecture(k, p, hidden, (), "tanh"), [seed]).to(device)
    config = TrainConfig(n_iter=10**9, batch_size=batch, lr=1e-3, lam=1.0, prior_scale=1.0,
                         mc_samples=1, warmup=0, lam_warmup=0)
    package = Trainer(module, X, config, [seed], [config.lam])
    X_internal = X[:, torch.as_tensor(layout.feature_order, device=device)].contiguous()
    loop = LoopTrainer(LoopOIVAE(module), X_internal, config,
                       torch.Generator(device=device).manual_seed(seed))
    return package, loop, len(layout.buckets)


def run_steps(trainer, n_steps):
    """*n_steps* training steps, as successive epochs (an epoch has its own row order)."""
    while n_steps > 0:
        n = min(n_steps, trainer.steps_per_epoch)
        trainer.epoch(n)
        n_steps -= n


def interleaved(trainers, timer, repeats, budget=0.4):
    """Median seconds per step of every trainer, timed in alternation."""
    steps = []
    for trainer in trainers:
        run_steps(trainer, 2)  # warm-up: allocations, Adam state
        one = timer(lambda: run_steps(trainer, 1))
        steps.append(max(1, min(50, int(budget / max(one, 1e-6)))))
    times = [[] for _ in trainers]
    for _ in range(repeats):
        for trainer, n, out in zip(trainers, steps, times):
            out.append(timer(lambda: run_steps(trainer, n)) / n)
    return [float(np.median(t)) for t in times]


def matmul_peak(device, timer, size=2048, repeats=5):
    """Best FLOP rate of a square float32 torch.matmul."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    a @ b
    return max(2 * size**3 / timer(lambda: a @ b) for _ in range(repeats))


MEMORY_CHILD = """
import resource, sys, numpy as np, torch
torch.set_num_threads({threads})
from mne_oivae import OIVAE
sys.path.insert(0, {here!r})
from speed import vertex_sizes, contiguous_groups
groups = contiguous_groups(vertex_sizes())
OIVAE(n_components=4, n_iter=4, batch_size=64, n_init=1, verbose=False, groups=groups).fit(
    np.random.default_rng(0).standard_normal((256, {n})).astype(np.float32))
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize()
# ru_maxrss would include the parent's size at fork; reset the kernel's high-water mark
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = rss()
X = np.empty(({rows}, {n}), dtype=np.float32)
rng = np.random.default_rng(0)
for start in range(0, len(X), 1000):
    rng.standard_normal(out=X[start:start + 1000], dtype=np.float32)
model = OIVAE(n_components=20, group_latent_dim=2, generator_hidden=(32,), n_iter={n_iter},
              batch_size=256, n_init=1, random_state=0, device="cpu", verbose=False,
              groups=groups)
model.fit(X)
peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmHWM:"))
print(X.nbytes, peak - before)
"""


def memory_ratio(threads, rows=41000, n_iter=200):
    """(peak RSS during a fit - RSS before the data) / data size, in a fresh process."""
    code = MEMORY_CHILD.format(threads=threads, here=str(Path(__file__).resolve().parent),
                               n=N_VERTICES, rows=rows, n_iter=n_iter)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    nbytes, peak = int(out[-2]), int(out[-1])
    return nbytes, peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (default 1: the engine's steps are "
                             "small, and extra threads mostly add synchronisation)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the 1.3 GB memory measurement")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    timer = Timer(device)
    print(f"torch {torch.__version__}, device {device}, {torch.get_num_threads()} thread(s), "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    if args.no_memory:
        mem = float("nan")
    else:
        nbytes, rss = memory_ratio(args.threads)
        mem = rss / nbytes
        print(f"memory: vertex-level fit on 41,000 x {N_VERTICES} float32 ({nbytes / 2**30:.2f} "
              f"GiB): peak RSS {rss / 2**30:.2f} GiB above the baseline = {mem:.2f} x the data")

    header = (f"{'configuration':<18} {'groups':>6} {'features':>8} {'batch':>5} {'K':>3} "
              f"{'p':>2} {'hidden':>6} {'buckets':>7} {'package ms':>10} {'loop ms':>9} "
              f"{'ratio':>6} {'bound':>6}")
    print(header)
    print("-" * len(header))
    ratios, small = {}, []
    roofline = None
    peak = matmul_peak(device, timer)
    for name, (sizes, batch, k, p, hidden) in CONFIGS.items():
        package, loop, n_buckets = build(sizes, batch, k, p, hidden, device)
        t_package, t_loop = interleaved([package, loop], timer, args.repeats)
        ratios[name] = t_loop / t_package
        if batch <= 256 and len(sizes) >= 29:
            small.append(ratios[name])
        print(f"{name.strip():<18} {len(sizes):>6} {int(np.sum(sizes)):>8} {batch:>5} {k:>3} "
              f"{p:>2} {str(hidden[0]) if hidden else '-':>6} {n_buckets:>7} "
              f"{1e3 * t_package:>10.2f} {1e3 * t_loop:>9.2f} {ratios[name]:>6.1f} "
              f"{t_loop * peak / step_flops(package.network, batch):>6.1f}", flush=True)
        if name == ROOFLINE_CONFIG:
            del loop
            peak = max(peak, matmul_peak(device, timer))
            (t_again,) = interleaved([package], timer, args.repeats)
            peak = max(peak, matmul_peak(device, timer))
            flops = step_flops(package.network, batch)
            rate = flops / min(t_package, t_again)
            roofline = rate / peak
            print(f"  roofline: {flops / 1e9:.2f} GFLOP per step at {rate / 1e9:.1f} GFLOP/s; "
                  f"torch.matmul peak {peak / 1e9:.1f} GFLOP/s -> {100 * roofline:.0f} %",
                  flush=True)
    print(f"small_batch_min_ratio={min(small):.2f} all_min_ratio={min(ratios.values()):.2f} "
          f"roofline={roofline:.2f} mem_ratio={mem:.2f}")


if __name__ == "__main__":
    main()

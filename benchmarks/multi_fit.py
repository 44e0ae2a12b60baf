"""Many fits for the price of one: restarts and lam paths trained as replicas.

For the paper-scale MEG region problem (41,000 x 44, K = 20, p = 1, affine
generators, batch 256; the data of ``meg_fit_time.py``) and for the bars
problem (2,048 images, the ``BARS`` preset), times side by side in one run,
in interleaved rounds:

- one fit (``n_init=1``);
- three restarts (``n_init=3``), trained as replicas;
- a path of ten lam values (:func:`mne_oivae.multi_fit.fit_lam_path`);
- the same ten lam values as ten sequential ``n_init=1`` fits, once, to give
  ``max_abs_diff``: the largest difference of any parameter between a path
  fit and its sequential twin (float32).

Each time is measured twice: wall-clock, and the CPU time of the process
(one thread, so the time it spent on a core). On a machine shared with other
jobs the wall-clock times include the time other processes held the core;
the CPU times do not, and give the steadier ratios. Ratios are the medians
over the rounds of each round's ratio.

The last line, for the MEG problem, is ``restarts_ratio=<t(3 restarts) /
t(1 fit)> path_ratio=<t(10-value lam path) / t(1 fit)> max_abs_diff=<x>``
with CPU times.

Usage::

    python benchmarks/multi_fit.py [--threads 1] [--n-iter 3000] [--repeats 3]
"""

import argparse
import os
import time
from typing import NamedTuple

import numpy as np
import torch
from meg_fit_time import N_COMPONENTS, N_GROUPS, simulate

from mne_oivae import OIVAE
from mne_oivae.datasets import make_bars
from mne_oivae.multi_fit import fit_lam_path
from mne_oivae.presets import BARS


def problems():
    """(name, X, groups, settings, lams) of the two benchmark problems."""
    bars_X, bars_groups = make_bars(n_samples=2048, random_state=0)
    bars = {k: v for k, v in BARS.items() if k not in ("n_iter", "n_init")}
    meg = {"n_components": N_COMPONENTS, "lam": 0.05, "group_latent_dim": 1,
           "batch_size": 256, "lam_warmup": "auto"}
    return [("bars", bars_X, bars_groups, bars, np.geomspace(0.1, 3.0, 10)),
            ("MEG regions", simulate(), np.arange(N_GROUPS), meg, np.geomspace(0.005, 0.5, 10))]


def max_abs_diff(models, references):
    return max(float((a - b).abs().max()) for m, r in zip(models, references)
               for a, b in zip(m.module_.state_dict().values(), r.module_.state_dict().values()))


class Timing(NamedTuple):
    seconds: dict  # run -> median seconds over the rounds
    ratios: dict  # run -> median over the rounds of seconds / seconds of "1 fit"


def timing(rounds):
    """Medians of *rounds*, a list of {run: seconds}."""
    seconds = {name: float(np.median([r[name] for r in rounds])) for name in rounds[0]}
    ratios = {name: float(np.median([r[name] / r["1 fit"] for r in rounds]))
              for name in rounds[0]}
    return Timing(seconds, ratios)


def measure(X, groups, settings, lams, n_iter, repeats):
    """Wall and CPU timings of one fit, three restarts and the lam path; the path's deviation."""
    kwargs = dict(settings, groups=groups, n_iter=n_iter, random_state=0, device="cpu",
                  verbose=False)
    runs = {"1 fit": lambda: OIVAE(**kwargs, n_init=1).fit(X),
            "3 restarts": lambda: OIVAE(**kwargs, n_init=3).fit(X),
            "10-lam path": lambda: fit_lam_path(OIVAE(**kwargs, n_init=1), X, lams)}
    OIVAE(**{**kwargs, "n_iter": 20}, n_init=3).fit(X)  # warm-up: first calls
    wall, cpu = [], []
    for _ in range(repeats):  # interleaved: load on the machine hits all alike
        wall.append({})
        cpu.append({})
        for name, run in runs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            result = run()
            wall[-1][name] = time.perf_counter() - start
            cpu[-1][name] = time.process_time() - start_cpu
    start = time.process_time()
    sequential = [OIVAE(**{**kwargs, "lam": lam}, n_init=1).fit(X) for lam in lams]
    t_sequential = time.process_time() - start
    return timing(wall), timing(cpu), t_sequential, max_abs_diff(result, sequential)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--n-iter", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, CPU, {torch.get_num_threads()} thread(s), "
          f"{args.n_iter} iterations per fit, {args.repeats} interleaved rounds; load "
          f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    for name, X, groups, settings, lams in problems():
        wall, cpu, t_sequential, diff = measure(X, groups, settings, lams, args.n_iter,
                                                args.repeats)
        print(f"{name} ({X.shape[0]} x {X.shape[1]}):")
        for kind, t in (("CPU time", cpu), ("wall time", wall)):
            print(f"  {kind:<9}: 1 fit {t.seconds['1 fit']:.2f} s, 3 restarts "
                  f"{t.seconds['3 restarts']:.2f} s ({t.ratios['3 restarts']:.2f} x), "
                  f"10-lam path {t.seconds['10-lam path']:.2f} s "
                  f"({t.ratios['10-lam path']:.2f} x)")
        print(f"  10 sequential fits of the path: {t_sequential:.2f} s CPU time "
              f"({t_sequential / cpu.seconds['1 fit']:.2f} x); path vs sequential: max |diff| "
              f"{diff:.2e}; load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"restarts_ratio={cpu.ratios['3 restarts']:.2f} "
          f"path_ratio={cpu.ratios['10-lam path']:.2f} max_abs_diff={diff:.2e}")


if __name__ == "__main__":
    main()

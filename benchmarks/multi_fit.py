"""Many fits for the price of one: restarts and lam paths trained as replicas.

For the paper-scale MEG region problem (41,000 x 44, K = 20, p = 1, affine
generators, batch 256; the data of ``meg_fit_time.py``) and for the bars
problem (2,048 images, the ``BARS`` preset), times side by side in one run,
in interleaved rounds (medians):

- one fit (``n_init=1``);
- three restarts (``n_init=3``), trained as replicas;
- a path of ten lam values (:func:`mne_oivae.multi_fit.fit_lam_path`);
- the same ten lam values as ten sequential ``n_init=1`` fits, once, to give
  ``max_abs_diff``: the largest difference of any parameter between a path
  fit and its sequential twin (float32).

The last line, for the MEG problem, is ``restarts_ratio=<t(3 restarts) /
t(1 fit)> path_ratio=<t(10-value lam path) / t(1 fit)> max_abs_diff=<x>``.

Usage::

    python benchmarks/multi_fit.py [--threads 1] [--n-iter 3000] [--repeats 3]
"""

import argparse
import os
import time

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


def measure(X, groups, settings, lams, n_iter, repeats):
    """Median seconds of one fit, three restarts and the lam path; the path's deviation."""
    kwargs = dict(settings, n_iter=n_iter, random_state=0, device="cpu", verbose=False)
    runs = {"1 fit": lambda: OIVAE(**kwargs, n_init=1).fit(X, groups),
            "3 restarts": lambda: OIVAE(**kwargs, n_init=3).fit(X, groups),
            "10-lam path": lambda: fit_lam_path(OIVAE(**kwargs, n_init=1), X, groups, lams)}
    times = {name: [] for name in runs}
    for _ in range(repeats):  # interleaved: load on the machine hits all alike
        for name, run in runs.items():
            start = time.perf_counter()
            result = run()
            times[name].append(time.perf_counter() - start)
    start = time.perf_counter()
    sequential = [OIVAE(**{**kwargs, "lam": lam}, n_init=1).fit(X, groups) for lam in lams]
    t_sequential = time.perf_counter() - start
    medians = {name: float(np.median(t)) for name, t in times.items()}
    return medians, t_sequential, max_abs_diff(result, sequential)


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
        medians, t_sequential, diff = measure(X, groups, settings, lams, args.n_iter,
                                              args.repeats)
        single = medians["1 fit"]
        restarts_ratio = medians["3 restarts"] / single
        path_ratio = medians["10-lam path"] / single
        print(f"{name} ({X.shape[0]} x {X.shape[1]}): 1 fit {single:.2f} s, 3 restarts "
              f"{medians['3 restarts']:.2f} s ({restarts_ratio:.2f} x), 10-lam path "
              f"{medians['10-lam path']:.2f} s ({path_ratio:.2f} x; sequentially "
              f"{t_sequential:.2f} s = {t_sequential / single:.2f} x); path vs sequential "
              f"max |diff| {diff:.2e}; load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"restarts_ratio={restarts_ratio:.2f} path_ratio={path_ratio:.2f} "
          f"max_abs_diff={diff:.2e}")


if __name__ == "__main__":
    main()

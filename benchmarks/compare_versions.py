"""Speed of this checkout against another version of mne-oivae, in one process, interleaved.

The other version (a directory holding ``mne_oivae/`` and ``benchmarks/``, e.g.
``git archive <commit> | tar -x -C /tmp/old``) is imported under another
package name, so that both run in the same process, alternately, and load
from other processes hits both alike. Two measurements, CPU time (one thread):

- ``speed``: seconds per training step of :mod:`benchmarks.speed`'s engine
  on its configurations (same data, same initial parameters);
- ``multi_fit``: :mod:`benchmarks.multi_fit`'s runs (one fit, three
  restarts, a ten-value lam path) on the bars and MEG-region problems.

Every line gives the median over the rounds of each round's ratio
new / old (below 1: this checkout is faster).

Usage::

    python benchmarks/compare_versions.py /tmp/old [--rounds 5] [--n-iter 1000]
"""

import argparse
import importlib
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent


def import_other(root, tmp):
    """The other version's package and benchmark modules, renamed ``*_other``."""
    root = Path(root)
    shutil.copytree(root / "mne_oivae", tmp / "mne_oivae_other")
    # the loop reference was _loop_reference.py before it took a public name
    benches = [b for b in ("speed", "loop_reference", "_loop_reference", "meg_fit_time",
                           "multi_fit") if (root / "benchmarks" / f"{b}.py").is_file()]
    for bench in benches:
        text = (root / "benchmarks" / f"{bench}.py").read_text()
        (tmp / f"{bench}_other.py").write_text(
            re.sub(r"^(from|import) (speed|_?loop_reference|meg_fit_time|multi_fit)\b",
                   r"\1 \2_other", text, flags=re.M))
    for path in (tmp / "mne_oivae_other").rglob("*.py"):
        path.write_text(re.sub(r"\bmne_oivae\b", "mne_oivae_other", path.read_text()))
    for path in tmp.glob("*_other.py"):
        path.write_text(re.sub(r"\bmne_oivae\b", "mne_oivae_other", path.read_text()))
    sys.path.insert(0, str(tmp))
    return {name: importlib.import_module(f"{name}_other")
            for name in ("speed", "multi_fit")}


def cpu_seconds(fn):
    start = time.process_time()
    fn()
    return time.process_time() - start


def compare_steps(new, old, rounds, steps=50):
    """Per configuration: median over rounds of (new step time / old step time)."""
    for name, (sizes, batch, k, p, hidden) in new.CONFIGS.items():
        device = torch.device("cpu")
        trainers = [module.build(sizes, batch, k, p, hidden, device)[0]
                    for module in (new, old)]
        n = steps if batch <= 256 else max(2, steps // 10)
        for trainer in trainers:
            new.run_steps(trainer, 3)  # warm-up
        times = [[], []]
        for i in range(rounds):
            order = [0, 1] if i % 2 == 0 else [1, 0]  # who goes first alternates
            for j in order:
                times[j].append(cpu_seconds(lambda t=trainers[j]: new.run_steps(t, n)) / n)
        ratio = np.median(np.array(times[0]) / np.array(times[1]))
        print(f"speed {name:<18} old {np.median(times[1]) * 1e3:7.2f} ms  new "
              f"{np.median(times[0]) * 1e3:7.2f} ms  new/old {ratio:.3f}", flush=True)


def compare_fits(new, old, rounds, n_iter):
    """Per problem and run: median over rounds of (new CPU time / old CPU time)."""
    import mne_oivae
    import mne_oivae.multi_fit
    other = sys.modules["mne_oivae_other"]
    importlib.import_module("mne_oivae_other.multi_fit")
    for name, X, groups, settings, lams in new.problems():
        groups = [np.asarray(g) for g in getattr(groups, "indices", [])] or groups
        runs = {}
        for label, package in (("new", mne_oivae), ("old", other)):
            kwargs = dict(settings, groups=groups, n_iter=n_iter, random_state=0,
                          device="cpu", verbose=False)
            oivae, path = package.OIVAE, package.multi_fit.fit_lam_path
            runs[label] = {
                "1 fit": lambda o=oivae, kw=kwargs: o(**kw, n_init=1).fit(X),
                "3 restarts": lambda o=oivae, kw=kwargs: o(**kw, n_init=3).fit(X),
                "10-lam path": lambda o=oivae, p=path, kw=kwargs: p(o(**kw, n_init=1), X,
                                                                   lams)}
            oivae(**{**kwargs, "n_iter": 20}, n_init=3).fit(X)  # warm-up
        times = {label: {run: [] for run in runs["new"]} for label in runs}
        for i in range(rounds):
            for run in runs["new"]:
                for label in ("new", "old")[::1 - 2 * (i % 2)]:  # who goes first alternates
                    times[label][run].append(cpu_seconds(runs[label][run]))
        for run in runs["new"]:
            ratio = np.median(np.array(times["new"][run]) / np.array(times["old"][run]))
            print(f"multi_fit {name:<12} {run:<12} old {np.median(times['old'][run]):6.2f} s"
                  f"  new {np.median(times['new'][run]):6.2f} s  new/old {ratio:.3f}",
                  flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("other", help="root of the other version's checkout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n-iter", type=int, default=1000)
    parser.add_argument("--only", choices=("speed", "multi_fit"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    sys.path.insert(0, str(HERE))
    with tempfile.TemporaryDirectory() as tmp:
        other = import_other(args.other, Path(tmp))
        if args.only != "multi_fit":
            compare_steps(importlib.import_module("speed"), other["speed"], args.rounds)
        if args.only != "speed":
            compare_fits(importlib.import_module("multi_fit"), other["multi_fit"],
                         args.rounds, args.n_iter)


if __name__ == "__main__":
    main()

"""Reproduce Table 2 of the oi-VAE paper: test log-likelihood on CMU walks.

oi-VAE with K = 4, 8, 16 and the plain grouped VAE (lambda = 0, K = 16) are
trained on the first 1, 2, 5 and 10 walk trials of CMU subject 7 and scored
(``OIVAE.score``: importance-sampled log p(x) per frame) on a held-out walk
(07_11) and on the brisk walk 07_12. The last line reports the gain of the best
oi-VAE over the VAE with 1 and 2 training trials:
``walk_gain_1=<x> walk_gain_2=<x> brisk_gain_1=<x> brisk_gain_2=<x>``.

Channels that never move in the training trials (CMU's fingers) are left out
unless ``--keep-constant`` is given: every model predicts them to the noise
floor, so they add a large term common to all models that would only blur the
comparison per frame.

Usage::

    python benchmarks/mocap_table2.py [--path DIR] [--no-download] [--n-iter N]

The CMU files are looked up in ``--path``, else in ``../shared/data/cmu_mocap``
next to the repository (or ``$MNE_OIVAE_SHARED_DATA/cmu_mocap``), else where
:func:`mne_oivae.mocap.load_cmu_trials` looks (``$MNE_OIVAE_MOCAP_PATH``, the user
cache), and downloaded from the CMU database if missing. Without them the script
exits with status 2 and a "data not found" message naming where it looked.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from mne_oivae import OIVAE
from mne_oivae.mocap import (SUBJECT7_BRISK_WALK, MocapDataNotFoundError,
                             load_cmu_trials)

N_TRAIN = (1, 2, 5, 10)
HELD_OUT_WALK = 11
MODELS = [("oi-VAE K=4", 4, None), ("oi-VAE K=8", 8, None), ("oi-VAE K=16", 16, None),
          ("VAE K=16", 16, 0.0)]
SHARED = Path(os.environ.get("MNE_OIVAE_SHARED_DATA",
                            Path(__file__).resolve().parents[2] / "shared" / "data"),
              ) / "cmu_mocap"


def table2(path=None, *, download=True, drop_constant=True, lam=0.1, n_iter=3000,
           n_importance=200, seed=0):
    """Fit every model on every training-set size; return {(name, n, test): score}."""
    common = dict(path=path, download=download, verbose=False)
    train_sets = {n: load_cmu_trials(7, list(range(1, n + 1)), drop_constant=drop_constant,
                                     **common) for n in N_TRAIN}
    scores = {}
    for n, train in train_sets.items():
        tests = {test: load_cmu_trials(7, trial, scaler=train.scaler, **common).X
                 for test, trial in (("walk", HELD_OUT_WALK),
                                     ("brisk", SUBJECT7_BRISK_WALK))}
        for name, n_components, model_lam in MODELS:
            start = time.perf_counter()
            model = OIVAE(n_components=n_components,
                          lam=lam if model_lam is None else model_lam, n_iter=n_iter,
                          random_state=seed, verbose=False, groups=train.groups).fit(train.X)
            for test, X in tests.items():
                scores[name, n, test] = model.score(X, n_importance=n_importance)
            print(f"  {name:<12} {n:>2} trial(s): walk {scores[name, n, 'walk']:9.2f}  "
                  f"brisk {scores[name, n, 'brisk']:9.2f}  "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    return scores


def format_table(scores):
    """The paper's layout: one row per model, training-set sizes per test trial."""
    sizes = "".join(f"{n:>9}" for n in N_TRAIN)
    lines = [f"{'':<14}{'held-out walk 07_11':^36}  {'brisk walk 07_12':^36}",
             f"{'train trials':<14}{sizes}  {sizes}"]
    for name, _, _ in MODELS:
        cells = ["".join(f"{scores[name, n, test]:>9.2f}" for n in N_TRAIN)
                 for test in ("walk", "brisk")]
        lines.append(f"{name:<14}{cells[0]}  {cells[1]}")
    return "\n".join(lines)


def gains(scores):
    """Best oi-VAE minus VAE log-likelihood per frame with 1 and 2 training trials."""
    out = {}
    for test in ("walk", "brisk"):
        for n in (1, 2):
            best = max(scores[name, n, test] for name, _, lam in MODELS if lam is None)
            out[f"{test}_gain_{n}"] = best - scores["VAE K=16", n, test]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default=None, help="folder with the CMU files")
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading missing files")
    parser.add_argument("--keep-constant", action="store_true",
                        help="keep channels that never move in the training trials")
    parser.add_argument("--lam", type=float, default=0.1,
                        help="oi-VAE group-lasso strength per frame")
    parser.add_argument("--n-iter", type=int, default=3000, help="training iterations")
    parser.add_argument("--n-importance", type=int, default=200,
                        help="importance samples per frame in score()")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    path = args.path if args.path is not None else (SHARED if SHARED.is_dir() else None)
    print(f"Table 2: CMU subject 7, lambda={args.lam:g}, {args.n_iter} iterations",
          flush=True)
    try:
        scores = table2(path, download=not args.no_download,
                        drop_constant=not args.keep_constant, lam=args.lam,
                        n_iter=args.n_iter, n_importance=args.n_importance,
                        seed=args.seed)
    except MocapDataNotFoundError as exc:
        print(f"mocap_table2: {exc}", file=sys.stderr)
        return 2
    print("\nTest log-likelihood per frame (higher is better)")
    print(format_table(scores))
    print(" ".join(f"{key}={value:.3f}" for key, value in gains(scores).items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

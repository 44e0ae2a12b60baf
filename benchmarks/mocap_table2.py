"""Reproduce Table 2 of the oi-VAE paper: test log-likelihood on CMU walks.

oi-VAE with K = 4, 8, 16 and the plain grouped VAE (lambda = 0, K = 16) are
trained on the first 1, 2, 5 and 10 walk trials of CMU subject 7 and scored
(``OIVAE.score_samples``: importance-sampled log p(x) of every frame) on the
held-out walk 07_11 and on the brisk walk 07_12, both as the sum over the
trial's frames (the paper's unit) and per frame. 07_12 starts with an all-zero
frame (root at the origin, every angle 0), far outside the training range: it
is scored with and without that frame, and the gains use it without.

Two configurations (``mne_oivae.presets``): ``--config paper`` is
``MOCAP_PAPER`` (the reference implementation's model and training, lambda = 1
on the whole-data objective, i.e. ``lam = 1 / n_frames`` per frame);
``--config recipe`` is ``MOCAP_RECIPE``. Scores are averaged over ``--seeds``.

The whole-trial totals are printed beside the paper's Table 2
(:data:`mne_oivae.mocap.PAPER_TABLE2`, which scores 07_12 with its zero frame).
The last line reports the gain of the best oi-VAE over the VAE, per frame, with
1 and 2 training trials, and in how many training-set sizes the best oi-VAE and
the VAE are in the paper's order (whole trials, 07_12 with its zero frame):
``walk_gain_1=<x> walk_gain_2=<x> brisk_gain_1=<x> brisk_gain_2=<x>
paper_walk_order_agrees=<k>/<n> paper_brisk_order_agrees=<k>/<n>``.

Usage::

    python benchmarks/mocap_table2.py --config paper [--n-iter N] [--seeds 0 1]
        [--save-dir DIR] [--path DIR] [--no-download]

``--save-dir`` keeps the models trained on trials 1-10 (``<config>_<model>_seed<s>.h5``)
for ``benchmarks/mocap_figures.py``. The CMU files are looked up in ``--path``,
else where :func:`mne_oivae.mocap.load_cmu_trials` looks, including the
read-only ``$MNE_OIVAE_SHARED_DATA/cmu_mocap`` when that variable is set, and
downloaded if missing.
Without them the script exits with status 2 and a "data not found" message.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from mne_oivae import OIVAE
from mne_oivae.mocap import (PAPER_TABLE2, PAPER_TABLE2_TRIALS, SUBJECT7_BRISK_WALK,
                             MocapDataNotFoundError, load_cmu_trials)
from mne_oivae.presets import MOCAP_PAPER, MOCAP_RECIPE

N_TRAIN = PAPER_TABLE2_TRIALS
HELD_OUT_WALK = 11
MODELS = [("oi-VAE K=4", 4, None), ("oi-VAE K=8", 8, None), ("oi-VAE K=16", 16, None),
          ("VAE K=16", 16, 0.0)]
CONFIGS = {"paper": MOCAP_PAPER, "recipe": MOCAP_RECIPE}
TESTS = ("walk", "brisk", "brisk_all")  # brisk: 07_12 without its all-zero frame 1


def model_params(config, n_components, lam, n_frames):
    """OIVAE parameters of one Table 2 model trained on *n_frames* frames."""
    params = dict(CONFIGS[config], n_components=n_components)
    if lam is not None:
        params["lam"] = lam
    elif config == "paper":
        params["lam"] = 1.0 / n_frames  # the paper's lambda = 1, whole-data objective
    return params


def table2(config, path=None, *, download=True, n_iter=None, n_importance=200,
           seeds=(0,), save_dir=None):
    """Fit every model on every training-set size.

    Returns ``{(name, n, test): log-likelihoods per frame}`` (mean over seeds)
    for the tests of :data:`TESTS`.
    """
    common = dict(path=path, download=download, verbose=False)
    scores = {}
    for n in N_TRAIN:
        train = load_cmu_trials(7, list(range(1, n + 1)), **common)
        walk = load_cmu_trials(7, HELD_OUT_WALK, scaler=train.scaler, **common).X
        brisk = load_cmu_trials(7, SUBJECT7_BRISK_WALK, scaler=train.scaler, **common).X
        for name, n_components, lam in MODELS:
            params = model_params(config, n_components, lam, train.X.shape[0])
            if n_iter is not None:
                params["n_iter"] = n_iter
            runs = []
            for seed in seeds:
                start = time.perf_counter()
                model = OIVAE(groups=train.groups, **params, random_state=seed,
                              verbose=False).fit(train.X)
                brisk_all = model.score_samples(brisk, n_importance=n_importance)
                runs.append((model.score_samples(walk, n_importance=n_importance),
                             brisk_all[1:], brisk_all))
                if save_dir is not None and n == N_TRAIN[-1]:
                    model.save(Path(save_dir) / model_file(config, name, seed),
                               overwrite=True)
                print(f"  {name:<12} {n:>2} trial(s) seed {seed}: per frame walk "
                      f"{runs[-1][0].mean():8.2f}  brisk {runs[-1][1].mean():8.2f}  "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
            for k, test in enumerate(TESTS):
                scores[name, n, test] = np.mean([run[k] for run in runs], axis=0)
    return scores


def model_file(config, name, seed):
    """File name of a saved model trained on trials 1-10."""
    return f"{config}_{name.replace(' ', '_').replace('=', '')}_seed{seed}.h5"


def format_table(scores, reduce="mean"):
    """The paper's layout: one row per model, training-set sizes per test trial.

    ``reduce="sum"`` gives the log-likelihood of the whole trial (the paper's
    unit), ``"mean"`` the log-likelihood per frame.
    """
    width, digits = (11, 0) if reduce == "sum" else (9, 1)
    sizes = "".join(f"{n:>{width}}" for n in N_TRAIN)
    titles = ("held-out walk 07_11", "brisk walk 07_12 w/o frame 1",
              "07_12 with its zero frame")
    lines = [f"{'':<14}" + "  ".join(f"{t:^{4 * width}}" for t in titles),
             f"{'train trials':<14}{sizes}  {sizes}  {sizes}"]
    for name, _, _ in MODELS:
        cells = ["".join(f"{getattr(np, reduce)(scores[name, n, test]):>{width}.{digits}f}"
                         for n in N_TRAIN) for test in TESTS]
        lines.append(f"{name:<14}{'  '.join(cells)}")
    return "\n".join(lines)


def format_beside_paper(scores):
    """Our whole-trial totals (``ours``) beside the paper's Table 2 (``paper``).

    The paper scores 07_12 with its all-zero frame 1; without it there is no
    paper value (``-``).
    """
    width = 12
    sizes = "".join(f"{n:>{width}}" for n in N_TRAIN)
    titles = ("held-out walk 07_11", "brisk walk 07_12", "07_12 w/o frame 1")
    lines = [f"{'':<20}" + "  ".join(f"{t:^{4 * width}}" for t in titles),
             f"{'train trials':<20}{sizes}  {sizes}  {sizes}"]
    for name, _, _ in MODELS:
        ours = ["".join(f"{np.sum(scores[name, n, test]):>{width},.0f}" for n in N_TRAIN)
                for test in ("walk", "brisk_all", "brisk")]
        paper = ["".join(f"{v:>{width},}" for v in PAPER_TABLE2[name][test])
                 for test in ("walk", "brisk")] + [f"{'-':>{width}}" * len(N_TRAIN)]
        lines += [f"{name:<13}{'ours':<7}{'  '.join(ours)}",
                  f"{'':<13}{'paper':<7}{'  '.join(paper)}"]
    return "\n".join(lines)


def order_agreement(scores):
    """In how many training-set sizes the best oi-VAE and the VAE are in the paper's order.

    Whole-trial totals; 07_12 with its zero frame, as the paper scores it.
    """
    oi_vaes = [name for name, _, lam in MODELS if lam is None]
    out = {}
    for test, ours_test in (("walk", "walk"), ("brisk", "brisk_all")):
        agree = 0
        for i, n in enumerate(N_TRAIN):
            ours = {name: np.sum(scores[name, n, ours_test]) for name, _, _ in MODELS}
            paper = {name: values[test][i] for name, values in PAPER_TABLE2.items()}
            agree += (_oi_vae_ahead(ours, oi_vaes) == _oi_vae_ahead(paper, oi_vaes))
        out[f"paper_{test}_order_agrees"] = f"{agree}/{len(N_TRAIN)}"
    return out


def _oi_vae_ahead(totals, oi_vaes):
    return max(totals[name] for name in oi_vaes) > totals["VAE K=16"]


def gains(scores):
    """Best oi-VAE minus VAE log-likelihood per frame with 1 and 2 training trials.

    07_12 is scored without its all-zero frame 1.
    """
    out = {}
    for test in ("walk", "brisk"):
        for n in (1, 2):
            best = max(np.mean(scores[name, n, test]) for name, _, lam in MODELS
                       if lam is None)
            out[f"{test}_gain_{n}"] = best - np.mean(scores["VAE K=16", n, test])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=tuple(CONFIGS), default="paper")
    parser.add_argument("--path", default=None, help="folder with the CMU files")
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading missing files")
    parser.add_argument("--n-iter", type=int, default=None,
                        help="training iterations (default: the preset's)")
    parser.add_argument("--n-importance", type=int, default=200,
                        help="importance samples per frame")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--save-dir", default=None,
                        help="where to save the models trained on trials 1-10")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    path = args.path
    n_iter = args.n_iter or CONFIGS[args.config]["n_iter"]
    print(f"Table 2, --config {args.config}: CMU subject 7, {n_iter} iterations, "
          f"seeds {args.seeds}, {args.n_importance} importance samples", flush=True)
    if args.save_dir is not None:
        Path(args.save_dir).mkdir(parents=True, exist_ok=True)
    try:
        scores = table2(args.config, path, download=not args.no_download,
                        n_iter=n_iter, n_importance=args.n_importance,
                        seeds=tuple(args.seeds), save_dir=args.save_dir)
    except MocapDataNotFoundError as exc:
        print(f"mocap_table2: {exc}", file=sys.stderr)
        return 2
    print("\nTest log-likelihood of the whole trial (the paper's unit; higher is better), "
          "beside the paper's Table 2")
    print(format_beside_paper(scores))
    print("\nTest log-likelihood per frame")
    print(format_table(scores, "mean"))
    print("\nGains: best oi-VAE minus VAE, per frame, 07_12 without its all-zero frame 1. "
          "Order: training-set sizes in which the best oi-VAE and the VAE rank as in "
          "the paper (whole trials, 07_12 with its zero frame).")
    print(" ".join([f"{key}={value:.3f}" for key, value in gains(scores).items()]
                   + [f"{key}={value}" for key, value in order_agreement(scores).items()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

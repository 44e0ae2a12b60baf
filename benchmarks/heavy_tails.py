"""Held-out log-likelihood of the Student-t likelihood against the Gaussian on heavy-tailed data.

Two data sets, each fitted with ``likelihood="gaussian"`` and
``likelihood="student_t"`` (degrees of freedom learned per feature), all other
settings equal, and scored by :meth:`OIVAE.score <mne_oivae.OIVAE.score>`
(importance-sampled log p(x) per observation) on held-out rows:

1. simulated: a group-sparse linear factor model (K = 3, 4 groups of 3
   features) with Student-t noise of 2.5 degrees of freedom, and as a control
   the same model with Gaussian noise of the same variance; training and test
   data from different seeds, for ``--seeds`` data seeds;
2. the real CMU subject-7 walks (``MOCAP_RECIPE``, trained on walks 1-10),
   scored on the held-out walk 07_11 and on the brisk walk 07_12 *with* its
   all-zero first frame (the outlier), and without it.

The last line is ``sim_gain=<x> control_gain=<x> walk_gain=<x> brisk_gain=<x>``:
mean per-observation gains of the Student-t over the Gaussian (positive: the
Student-t is better) on the simulated t-noise, the Gaussian control, 07_11 and
07_12 with its zero frame.

Usage::

    python benchmarks/heavy_tails.py [--seeds 0 1 2] [--n-iter N] [--mocap-seeds 0 1]
"""

import argparse
import os
from pathlib import Path

import numpy as np
import torch

from mne_oivae import OIVAE
from mne_oivae.mocap import SUBJECT7_BRISK_WALK, MocapDataNotFoundError, load_cmu_trials
from mne_oivae.presets import MOCAP_RECIPE

os.environ.setdefault("MNE_OIVAE_SHARED_DATA",
                      str(Path(__file__).resolve().parents[2] / "shared" / "data"))
LIKELIHOODS = ("gaussian", "student_t")
DOF = 2.5
GROUPS = np.repeat(np.arange(4), 3)


def simulate(n, seed, noise):
    """Linear factor data: 3 components each driving a few of 4 groups, plus noise."""
    rng = np.random.default_rng(seed)
    loadings = np.random.default_rng(99).standard_normal((3, 12))
    loadings[0, 6:] = loadings[1, :6] = loadings[2, 3:9] = 0  # group-sparse
    eps = (rng.standard_t(DOF, (n, 12)) * np.sqrt((DOF - 2) / DOF) if noise == "t"
           else rng.standard_normal((n, 12)))
    return (rng.standard_normal((n, 3)) @ loadings + 0.5 * eps).astype(np.float32)


def simulated(seeds, n_iter):
    """{noise: {likelihood: [held-out score per seed]}}."""
    scores = {}
    for noise in ("t", "gaussian"):
        scores[noise] = {lik: [] for lik in LIKELIHOODS}
        for seed in seeds:
            X, X_test = simulate(2000, 2 * seed, noise), simulate(1000, 2 * seed + 1, noise)
            for lik in LIKELIHOODS:
                model = OIVAE(n_components=4, lam=0.05, groups=GROUPS, n_iter=n_iter,
                              batch_size=128, n_init=1, likelihood=lik, random_state=seed,
                              device="cpu", verbose=False).fit(X)
                scores[noise][lik].append(model.score(X_test, n_importance=100))
            print(f"  {noise}-noise seed {seed}: " + "  ".join(
                f"{lik} {scores[noise][lik][-1]:.3f}" for lik in LIKELIHOODS), flush=True)
    return scores


def mocap(seeds, n_iter):
    """{test: {likelihood: [score per seed]}} on CMU subject 7, or None without the data."""
    common = dict(download=False, verbose=False)
    try:
        train = load_cmu_trials(7, list(range(1, 11)), **common)
    except MocapDataNotFoundError as err:
        print(f"  CMU data not found ({err}); skipped")
        return None
    walk = load_cmu_trials(7, 11, scaler=train.scaler, **common).X
    brisk = load_cmu_trials(7, SUBJECT7_BRISK_WALK, scaler=train.scaler, **common).X
    scores = {test: {lik: [] for lik in LIKELIHOODS}
              for test in ("walk", "brisk_all", "brisk")}
    for seed in seeds:
        for lik in LIKELIHOODS:
            params = dict(MOCAP_RECIPE, likelihood=lik)
            if n_iter is not None:
                params["n_iter"] = n_iter
            model = OIVAE(groups=train.groups, **params, random_state=seed, device="cpu",
                          verbose=False).fit(train.X)
            brisk_all = model.score_samples(brisk, n_importance=200)
            scores["walk"][lik].append(model.score(walk, n_importance=200))
            scores["brisk_all"][lik].append(brisk_all.mean())
            scores["brisk"][lik].append(brisk_all[1:].mean())
            print(f"  mocap seed {seed} {lik:<9}: walk {scores['walk'][lik][-1]:8.2f}  "
                  f"brisk with zero frame {scores['brisk_all'][lik][-1]:10.2f}  "
                  f"(zero frame {brisk_all[0]:12.1f})  without "
                  f"{scores['brisk'][lik][-1]:8.2f}", flush=True)
    return scores


def gain(scores):
    return float(np.mean(scores["student_t"]) - np.mean(scores["gaussian"]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-iter", type=int, default=1500)
    parser.add_argument("--mocap-seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--mocap-n-iter", type=int, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print("simulated (held-out log-likelihood per observation):")
    sim = simulated(args.seeds, args.n_iter)
    print("CMU subject 7, MOCAP_RECIPE (per frame):")
    cmu = mocap(args.mocap_seeds, args.mocap_n_iter)
    line = f"sim_gain={gain(sim['t']):.3f} control_gain={gain(sim['gaussian']):.3f}"
    if cmu is not None:
        line += (f" walk_gain={gain(cmu['walk']):.2f} brisk_gain={gain(cmu['brisk_all']):.2f}"
                 f" brisk_without_zero_frame_gain={gain(cmu['brisk']):.2f}")
    print(line)


if __name__ == "__main__":
    main()

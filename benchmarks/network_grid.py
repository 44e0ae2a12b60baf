"""Planted-network recovery over a grid of difficulties: oi-VAE (lam chosen) vs linear baselines.

Every cell plants networks with :func:`mne_oivae.datasets.simulate_networks`
on the 44 HCP-MMP1 combined regions (fsaverage ico-3) and varies one or two of:
the number of networks (2 to 10), overlap (networks sharing a region), the
recording length (300 to 20,000 time points), the sensor-like noise and the
regions' background activity. For every seed of every cell the label time
courses (``mode="mean_flip"``) are fitted by :class:`mne_oivae.OIVAECV`
(``lam`` chosen by cross-validation over whole epochs, the ``MEG_REGIONS``
preset) and by scikit-learn's FactorAnalysis, FastICA, PCA and SparsePCA
with the same number of components; all are scored by
:func:`mne_oivae.metrics.network_recovery_f1` (mean over networks).

Prints one row per cell (mean F1 over seeds, method by method), what each
lam-selection rule chose and its F1, and the summary last line
``cells=<n> oivae_wins=<n> oivae_f1=<mean> best_baseline_f1=<mean>`` where a
win is a cell in which oi-VAE is at or above every baseline and
``best_baseline_f1`` is the best baseline's mean over all cells.

Needs fsaverage with the HCP-MMP1 annotations in a writable subjects directory:
``--subjects-dir DIR`` or ``SUBJECTS_DIR``.

Run: ``python benchmarks/network_grid.py [--seeds 0 1 2] [--cells base noisy] [--jobs 2]``
"""

import argparse
import time
import warnings

import mne
import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.decomposition import PCA, FactorAnalysis, FastICA, SparsePCA
from sklearn.exceptions import ConvergenceWarning

from mne_oivae import OIVAE, OIVAECV, read_hcpmmp1_labels, stc_to_groups
from mne_oivae._demo.meg import THRESHOLD
from mne_oivae.datasets import simulate_networks
from mne_oivae.metrics import network_recovery_f1
from mne_oivae.presets import MEG_REGIONS, MEG_REGIONS_LAMS

BASE = {"n_networks": 4, "overlap": False, "n_epochs": 20, "noise": 1.0,
        "background": 0.5}
#: cell name -> changes from BASE (100 time points per epoch)
CELLS = {
    "base": {},
    "2 networks": {"n_networks": 2},
    "7 networks": {"n_networks": 7},
    "10 networks": {"n_networks": 10},
    "4 overlapping": {"overlap": True},
    "7 overlapping": {"n_networks": 7, "overlap": True},
    "short (300)": {"n_epochs": 3},
    "long (20,000)": {"n_epochs": 200},
    "noisy": {"noise": 2.0},
    "strong background": {"background": 1.0},
    "hard: 7 overlapping, 800, noisy": {"n_networks": 7, "overlap": True, "n_epochs": 8,
                                        "noise": 1.5, "background": 0.7},
    "hardest: 10 overlapping, 500, noisy": {"n_networks": 10, "overlap": True,
                                            "n_epochs": 5, "noise": 1.5},
}
BASELINES = ("fa", "ica", "pca", "spca")


def plant(names, n_networks, overlap, rng):
    """Random networks of 3-4 regions; with *overlap*, network k+1 shares one of k's."""
    order = rng.permutation(len(names))
    networks, start = {}, 0
    for k in range(n_networks):
        size = 3 + k % 2
        networks[f"network {k}"] = [names[i] for i in order[start:start + size]]
        start += size
    if overlap:
        for k in range(0, n_networks - 1, 2):
            networks[f"network {k + 1}"].append(networks[f"network {k}"][0])
    return networks


def baselines(X, n_components, seed):
    """Loadings, shape (n_features, n_components), of the linear baselines."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ica = FastICA(n_components, max_iter=1000, random_state=seed).fit(X)
        spca = SparsePCA(n_components, random_state=seed).fit(X)
    return {"fa": FactorAnalysis(n_components, random_state=seed).fit(X).components_.T,
            "ica": ica.mixing_,
            "pca": PCA(n_components, random_state=seed).fit(X).components_.T,
            "spca": spca.components_.T}


def run_cell(changes, seed, names, subjects_dir, n_splits):
    torch.set_num_threads(1)
    mne.set_log_level("WARNING")
    setting = dict(BASE, **changes)
    rng = np.random.default_rng(1000 + seed)
    networks = plant(names, setting["n_networks"], setting["overlap"], rng)
    sim = simulate_networks(networks, n_epochs=setting["n_epochs"], n_times=100,
                            noise=setting["noise"], background=setting["background"],
                            subjects_dir=subjects_dir, random_state=seed, verbose=False)
    grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src, verbose=False)
    start = time.perf_counter()
    model = OIVAECV(OIVAE(**MEG_REGIONS, groups=grouped.groups, random_state=seed),
                    lams=MEG_REGIONS_LAMS, cv=min(n_splits, setting["n_epochs"]),
                    verbose=False).fit(grouped.X, epochs=grouped.epochs)
    fit_s = time.perf_counter() - start
    scores = {"oivae": model.group_weights_}
    scores.update(baselines(grouped.X, MEG_REGIONS["n_components"], seed))
    f1 = {name: _f1(sim, weights) for name, weights in scores.items()}
    # every rule's choice, scored on the fold fits at its lam (no extra fits)
    rules = {rule: (lam, np.mean([_f1(sim, w) for w in model.cv_group_weights_[
        list(model.lams_).index(lam)]])) for rule, lam in model.choices_.items()}
    return f1, rules, fit_s


def _f1(sim, weights):
    return network_recovery_f1(sim.true_sets, weights, threshold=THRESHOLD)[0].mean()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=list(CELLS),
                        metavar="CELL")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--subjects-dir", default=None)
    parser.add_argument("--jobs", type=int, default=1, help="simulations run in parallel")
    args = parser.parse_args(argv)
    mne.set_log_level("WARNING")
    names = [label.name for label in read_hcpmmp1_labels(args.subjects_dir)]
    print(f"oi-VAE: OIVAECV over lams {MEG_REGIONS_LAMS}, {args.folds} folds of whole "
          f"epochs, rule 'one_se'; settings {MEG_REGIONS}; seeds {args.seeds}")
    methods = ("oivae", *BASELINES)
    print(f"{'cell':<38}" + "".join(f"{m:>7}" for m in methods)
          + "   lam chosen by one_se / max / stability (F1 of its fold fits)")
    jobs = [(cell, seed) for cell in args.cells for seed in args.seeds]
    results = iter(Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(run_cell)(CELLS[cell], seed, names, args.subjects_dir, args.folds)
        for cell, seed in jobs))
    table, wins = [], 0
    for cell in args.cells:
        per_seed, rules, times = [], [], []
        for _ in args.seeds:
            f1, chosen, fit_s = next(results)
            per_seed.append([f1[m] for m in methods])
            rules.append(chosen)
            times.append(fit_s)
        row = np.mean(per_seed, axis=0)
        table.append(row)
        wins += bool(row[0] >= row[1:].max() - 1e-9)
        choice = " / ".join(
            f"{np.mean([r[rule][0] for r in rules]):.3g} "
            f"({np.mean([r[rule][1] for r in rules]):.2f})"
            for rule in ("one_se", "max", "stability"))
        print(f"{cell:<38}" + "".join(f"{v:7.3f}" for v in row)
              + f"   {choice}   [{np.mean(times):.0f} s/fit]", flush=True)
    table = np.array(table)
    means = table.mean(axis=0)
    print(f"{'mean':<38}" + "".join(f"{v:7.3f}" for v in means))
    print(f"cells={len(table)} oivae_wins={wins} oivae_f1={means[0]:.3f} "
          f"best_baseline_f1={means[1:].max():.3f}")


if __name__ == "__main__":
    main()

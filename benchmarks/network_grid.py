"""Planted-network recovery over a grid of difficulties: oi-VAE (lam chosen) vs linear baselines.

Every cell plants networks with :func:`mne_oivae.datasets.simulate_networks`
on the 44 HCP-MMP1 combined regions (fsaverage ico-3) and varies one or two of:
the number of networks (2 to 10), overlap (networks sharing a region), the
recording length (300 to 20,000 time points), the sensor-like noise and the
regions' background activity. For every seed of every cell the label time
courses (``mode="mean_flip"``) are fitted by :class:`mne_oivae.OIVAECV`
(``lam`` chosen by cross-validation over whole epochs, the ``MEG_REGIONS``
preset or the one ``--preset`` names) and by every method of
:mod:`mne_oivae.baselines` (FactorAnalysis, FastICA, PCA, SparsePCA, temporal
ICA on envelopes, clustered envelope-correlation networks) with the same
number of components; all are scored by
:func:`mne_oivae.metrics.network_recovery_f1` (mean over networks, regions
at :data:`mne_oivae.presets.NETWORK_THRESHOLD` of a component's peak).

The cells named ``nonlinear: ...`` plant networks with
``coupling="nonlinear"`` (one region follows the latent, the others smooth
functions of it orthogonalised to it: dependent, linearly uncorrelated); the
others with the default monotone couplings, which linear methods can group.
There the affine ``MEG_REGIONS`` has nothing to find; run them with
``--preset MEG_REGIONS_DEEP`` (nonlinear generators; on ``"nonlinear: base"``,
seeds 0-2, F1 0.967 against the best baseline's 0.718; 8-9 minutes per seed
on a shared 2-core machine, two at a time; every nonlinear cell in the model
page's "A penalty that prices a split", and from before the preset's
component norm in "Where oi-VAE wins" and "Cells added after the recipe was
fixed").

Prints one row per cell (mean F1 over seeds, method by method), what each
lam-selection rule chose and its F1, and the summary last line
``cells=<n> oivae_wins=<n> oivae_f1=<mean> best_baseline_f1=<mean>
nonlinear_oivae_f1=<mean> nonlinear_best_baseline_f1=<mean>
nonlinear_min_margin=<min>`` where a win is a cell in which oi-VAE is at or
above every baseline, ``oivae_f1`` and ``best_baseline_f1`` (the best
baseline's mean) are over the monotone cells, the ``nonlinear_`` ones over the
nonlinear cells, and ``nonlinear_min_margin`` is the smallest lead of oi-VAE
over the best baseline of a nonlinear cell.

Needs fsaverage with the HCP-MMP1 annotations in a writable subjects directory:
``--subjects-dir DIR`` or ``SUBJECTS_DIR``.

Run: ``python benchmarks/network_grid.py [--seeds 0 1 2] [--cells base noisy] [--jobs 2]
[--preset MEG_REGIONS_DEEP]``
"""

import argparse
import time

import mne
import numpy as np
import torch
from joblib import Parallel, delayed

from mne_oivae import OIVAE, OIVAECV, presets, read_hcpmmp1_labels, stc_to_groups
from mne_oivae.baselines import BASELINES, baseline_group_weights
from mne_oivae.datasets import simulate_networks
from mne_oivae.metrics import network_recovery_f1
from mne_oivae.presets import NETWORK_THRESHOLD

BASE = {"n_networks": 4, "overlap": False, "n_epochs": 20, "noise": 1.0,
        "background": 0.5, "coupling": "monotone"}
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
    "nonlinear: base": {"coupling": "nonlinear"},
    "nonlinear: 2 networks": {"coupling": "nonlinear", "n_networks": 2},
    "nonlinear: 7 networks": {"coupling": "nonlinear", "n_networks": 7},
    "nonlinear: long (20,000)": {"coupling": "nonlinear", "n_epochs": 200},
    "nonlinear: 4 overlapping": {"coupling": "nonlinear", "overlap": True},
    "nonlinear: noisy": {"coupling": "nonlinear", "noise": 2.0},
    "nonlinear: strong background": {"coupling": "nonlinear", "background": 1.0},
}
MEG_PRESETS = ("MEG_REGIONS", "MEG_REGIONS_DEEP")


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


def run_cell(changes, seed, names, subjects_dir, n_splits, preset):
    torch.set_num_threads(1)
    mne.set_log_level("WARNING")
    setting = dict(BASE, **changes)
    rng = np.random.default_rng(1000 + seed)
    networks = plant(names, setting["n_networks"], setting["overlap"], rng)
    sim = simulate_networks(networks, n_epochs=setting["n_epochs"], n_times=100,
                            noise=setting["noise"], background=setting["background"],
                            coupling=setting["coupling"], subjects_dir=subjects_dir,
                            random_state=seed, verbose=False)
    grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src, verbose=False)
    start = time.perf_counter()
    settings, lams = getattr(presets, preset), getattr(presets, f"{preset}_LAMS")
    model = OIVAECV(OIVAE(**settings, groups=grouped.groups, random_state=seed),
                    lams=lams, cv=min(n_splits, setting["n_epochs"]),
                    verbose=False).fit(grouped.X, epochs=grouped.epochs)
    fit_s = time.perf_counter() - start
    scores = {"oivae": model.group_weights_}
    scores.update({method: baseline_group_weights(
        method, grouped.X, settings["n_components"], groups=grouped.groups,
        epochs=grouped.epochs, random_state=seed) for method in BASELINES})
    f1 = {name: _f1(sim, weights) for name, weights in scores.items()}
    # every rule's choice, scored on the fold fits at its lam (no extra fits)
    rules = {rule: (lam, np.mean([_f1(sim, w) for w in model.cv_group_weights_[
        list(model.lams_).index(lam)]])) for rule, lam in model.choices_.items()}
    return f1, rules, fit_s


def _f1(sim, weights):
    return network_recovery_f1(sim.true_sets, weights, threshold=NETWORK_THRESHOLD)[0].mean()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=list(CELLS),
                        metavar="CELL")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--subjects-dir", default=None)
    parser.add_argument("--jobs", type=int, default=1, help="simulations run in parallel")
    parser.add_argument("--preset", default="MEG_REGIONS", choices=MEG_PRESETS,
                        help="oi-VAE's settings and lams (PRESET_LAMS) in mne_oivae.presets")
    args = parser.parse_args(argv)
    mne.set_log_level("WARNING")
    names = [label.name for label in read_hcpmmp1_labels(args.subjects_dir)]
    print(f"oi-VAE: OIVAECV over lams {getattr(presets, args.preset + '_LAMS')}, "
          f"{args.folds} folds of whole epochs, rule 'one_se'; settings {args.preset} = "
          f"{getattr(presets, args.preset)}; seeds {args.seeds}")
    methods = ("oivae", *BASELINES)
    print(f"{'cell':<38}" + "".join(f"{m[:6]:>7}" for m in methods)
          + "   lam chosen by one_se / max / stability (F1 of its fold fits)")
    jobs = [(cell, seed) for cell in args.cells for seed in args.seeds]
    results = iter(Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(run_cell)(CELLS[cell], seed, names, args.subjects_dir, args.folds,
                          args.preset)
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
    print(f"{'mean':<38}" + "".join(f"{v:7.3f}" for v in table.mean(axis=0)))
    nonlinear = np.array([CELLS[cell].get("coupling") == "nonlinear" for cell in args.cells])
    summary = f"cells={len(table)} oivae_wins={wins}"
    for prefix, rows in (("", table[~nonlinear]), ("nonlinear_", table[nonlinear])):
        if len(rows):
            means = rows.mean(axis=0)
            summary += (f" {prefix}oivae_f1={means[0]:.3f} "
                        f"{prefix}best_baseline_f1={means[1:].max():.3f}")
    if nonlinear.any():
        margin = table[nonlinear, 0] - table[nonlinear, 1:].max(axis=1)
        summary += f" nonlinear_min_margin={margin.min():.3f}"
    print(summary)


if __name__ == "__main__":
    main()

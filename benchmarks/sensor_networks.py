"""Planted rhythmic networks through the MEG/EEG physics: oi-VAE vs the methods MEG users use.

Every seed simulates a recording with
:func:`mne_oivae.datasets.simulate_recording` (fsaverage ico-4, forward model
of MNE's sample recording's 306 MEG or 60 EEG sensors, real sample noise
covariance, dSPM (or ``--method LCMV``, a beamformer) on 75 epochs of 4 s at
100 Hz, five minutes as a resting-state recording has (``--n-epochs``); four random networks of 3-4
of the HCP-MMP1 combined regions (``networks=4``), whose slow activity and alpha-rhythm
amplitude a shared latent drives). A cell is one of
{EEG, MEG} x {time courses, alpha envelopes} x {without, with leakage
correction} x {monotone (linear-friendly), nonlinear couplings}; the features
come from :func:`mne_oivae.stc_to_groups` (``mode="mean_flip"``;
``orthogonalize=True``; ``envelope=(8, 12), decim=5``; with ``--lowpass`` f the
time courses are low-passed at f Hz, ``lowpass=f, decim=5``). Methods:
:class:`mne_oivae.OIVAECV` with the ``MEG_REGIONS_DEEP`` preset (nonlinear
generators) over its lams, or another preset (``--preset MEG_REGIONS``), and
every method of :mod:`mne_oivae.baselines` (FA, FastICA, PCA,
SparsePCA on the features; temporal ICA on envelopes and clustered
orthogonalised amplitude-envelope correlation on the alpha-band time courses,
orthogonalised too in the leakage-corrected cells), all with K = 20 components
and scored by :func:`mne_oivae.metrics.network_recovery_f1` (mean over
networks, threshold :data:`mne_oivae.presets.NETWORK_THRESHOLD`).

Prints one row per cell (mean F1 over seeds per method; ``chance``: F1 of
random weights, what a method that sees nothing scores with 20 components),
how visible the networks are to any method (``_visibility``: the ROC area with
which the pairs of regions of one network stand out from the other pairs by the
mutual information of their ranks, 0.5 for nothing; in the true activity's
features and in the estimates'), how often a network region's most dependent
region is of its network (``_nearest_in_network``, the same information; 1 in
truth), with ``--truth`` every method's F1 on the true activity's features
(made as the cell makes the estimates', standardised; the envelope baselines
on the true alpha-band activity), the leakage (mean |r| of the alpha
envelopes of regions that share no network: in the true activity, and in the
estimates without or with the correction), and the last line
``cells=<n> oivae_wins=<n> oivae_f1=<mean> best_baseline_f1=<mean>
nonlinear_oivae_f1=<mean> nonlinear_best_baseline_f1=<mean>`` (a win: oi-VAE
at or above every baseline in the cell; best baseline: the one with the best
mean over the cells considered).

The forward models are built once and cached (see
:func:`mne_oivae.datasets.make_fsaverage_forward`; the first MEG run takes
several minutes more). Needs fsaverage with the HCP-MMP1 annotations in a
writable subjects directory (``--subjects-dir`` or ``SUBJECTS_DIR``) and the
sample recording's files (``--data-path``, else found or downloaded). An MEG
recording of 75 epochs takes about 2 GB of memory at its peak and 40 s to
simulate and invert (one thread); its source estimates grow with ``--n-epochs``.

Run: ``python benchmarks/sensor_networks.py [--seeds 0 1 2] [--cells "meg env orth nonlinear"]
[--jobs 2] [--lams-subset] [--n-epochs 75] [--outside-amplitude 1] [--method dSPM] [--lowpass 2]
[--quick] [--preset MEG_REGIONS] [--truth]``
"""

import argparse
import itertools
import time
from typing import NamedTuple

import mne
import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.metrics import roc_auc_score

from mne_oivae import OIVAE, OIVAECV, GroupSpec, presets, stc_to_groups
from mne_oivae.baselines import BASELINES, baseline_group_weights
from mne_oivae.datasets import simulate_recording
from mne_oivae.metrics import network_recovery_f1
from mne_oivae.presets import NETWORK_THRESHOLD
from mne_oivae.source import (amplitude_envelope, band_pass, low_pass,
                               symmetric_orthogonalize)

SENSORS = ("eeg", "meg")
FEATURES = ("tc", "env")  # label time courses, alpha amplitude envelopes
LEAKAGE = ("raw", "orth")  # without, with symmetric orthogonalisation
COUPLINGS = ("monotone", "nonlinear")
CELLS = [" ".join(c) for c in itertools.product(SENSORS, FEATURES, LEAKAGE, COUPLINGS)]
DECIM = 5
MEG_PRESETS = ("MEG_REGIONS_DEEP", "MEG_REGIONS")
METHODS = ("oivae", *BASELINES)


class CellResult(NamedTuple):
    """One cell of one recording."""

    f1: dict  # method -> mean F1 over the networks (and "chance")
    leakage: tuple  # envelope |r| of no-network pairs: true, estimated
    visibility: tuple  # _visibility of the true features, of the estimated ones
    nearest: tuple  # _nearest_in_network of the true features, of the estimated ones
    fit_s: float
    sim_s: float
    truth_f1: dict | None  # with --truth: the methods' F1 on the true activity's features


def run_recording(sensors, coupling, seed, cells, args):
    """One simulated recording, every requested feature/leakage variant of it."""
    torch.set_num_threads(1)
    mne.set_log_level("WARNING")
    start = time.perf_counter()
    sim = simulate_recording(4, sensors=sensors, coupling=coupling,
                             n_epochs=args.n_epochs, spacing=args.spacing, snr=args.snr,
                             outside_amplitude=args.outside_amplitude, method=args.method,
                             subjects_dir=args.subjects_dir, data_path=args.data_path,
                             random_state=seed, verbose=False)
    sim_s = time.perf_counter() - start
    out, band_tcs = {}, {}
    true_band_tc = (band_pass(sim.activity, 1.0 / sim.stcs[0].tstep, sim.band,
                              epochs=_epochs(sim)) if args.truth else None)
    for cell in cells:
        _, features, leakage, _ = cell.split()
        orth = leakage == "orth"
        lowpass = args.lowpass if features == "tc" else None
        grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src, orthogonalize=orth,
                                envelope=sim.band if features == "env" else None,
                                lowpass=lowpass,
                                decim=DECIM if features == "env" or lowpass else 1,
                                verbose=False)
        if orth not in band_tcs:  # shared by the cells of this recording
            band_tcs[orth] = _band_limited(sim, orth)
        band_tc = band_tcs[orth]
        f1, lam, fit_s = _method_f1(sim, grouped.X, grouped.epochs, band_tc, args, seed)
        f1["chance"] = _chance(sim.true_sets, len(sim.labels),
                                args.settings["n_components"], seed)
        true_features = _true_features(sim, features, lowpass)
        truth_f1 = None
        if args.truth:  # the same methods on what the estimates estimate
            standardized = (true_features - true_features.mean(0)) / true_features.std(0)
            truth_f1, truth_lam, _ = _method_f1(sim, standardized.astype(np.float32),
                                                grouped.epochs, true_band_tc, args, seed)
            print(f"  true features: {cell}, seed {seed}, lam {truth_lam:.3g}: "
                  + " ".join(f"{m} {v:.3f}" for m, v in truth_f1.items()), flush=True)
        information = [_rank_information(x) for x in (true_features, grouped.X)]
        visibility = tuple(_visibility(sim.true_sets, info) for info in information)
        nearest = tuple(_nearest_in_network(sim.true_sets, info) for info in information)
        out[cell] = CellResult(f1, _leakage(sim, band_tc), visibility, nearest, fit_s, sim_s,
                               truth_f1)
        print(f"  done: {cell}, seed {seed}, lam {lam:.3g}: "
              + " ".join(f"{m} {v:.3f}" for m, v in f1.items())
              + f", visible {visibility[0]:.2f} / {visibility[1]:.2f}, nearest "
              f"{nearest[0]:.2f} / {nearest[1]:.2f}, fit {fit_s:.0f} s",
              flush=True)
    return out


def _method_f1(sim, X, epochs, band_tc, args, seed):
    """F1 of oi-VAE (its lam chosen on *X*) and of every baseline; that lam; oi-VAE's seconds.

    *band_tc*: the alpha-band time courses the envelope baselines start from.
    """
    start = time.perf_counter()
    model = OIVAECV(OIVAE(**args.settings, groups=GroupSpec.from_sizes([1] * X.shape[1]),
                          random_state=seed),
                    lams=args.lams, cv=args.folds, verbose=False).fit(X, epochs=epochs)
    fit_s = time.perf_counter() - start
    weights = {"oivae": model.group_weights_}
    for method in BASELINES:
        data, data_epochs = ((band_tc, _epochs(sim))
                             if method in ("envelope_ica", "aec") else (X, None))
        weights[method] = baseline_group_weights(method, data, args.settings["n_components"],
                                                 epochs=data_epochs, random_state=seed)
    f1 = {m: network_recovery_f1(sim.true_sets, w, threshold=NETWORK_THRESHOLD)[0].mean()
          for m, w in weights.items()}
    return f1, model.lam_, fit_s


def _band_limited(sim, orth):
    """Alpha-band label time courses (orthogonalised in the corrected cells)."""
    tc = stc_to_groups(sim.stcs, sim.labels, src=sim.src, standardize=None,
                       verbose=False).X.astype(np.float64)
    tc = band_pass(tc, 1.0 / sim.stcs[0].tstep, sim.band, epochs=_epochs(sim))
    return symmetric_orthogonalize(tc) if orth else tc


def _true_features(sim, features, lowpass):
    """The features of the true activity, made as the cell makes the estimates'."""
    sfreq = 1.0 / sim.stcs[0].tstep
    if features == "env":
        return amplitude_envelope(sim.activity, sfreq, sim.band, decim=DECIM,
                                  epochs=_epochs(sim))[0]
    if lowpass:
        return low_pass(sim.activity, sfreq, lowpass, decim=DECIM, epochs=_epochs(sim))[0]
    return sim.activity


def _leakage(sim, band_tc):
    """Mean |r| of alpha envelopes between regions that share no network: true, estimated.

    *band_tc* are the estimated alpha-band time courses (:func:`_band_limited`).
    """
    in_network = np.zeros(len(sim.labels), bool)
    in_network[np.concatenate(sim.true_sets)] = True
    pairs = np.triu(np.outer(~in_network, ~in_network), 1)
    sfreq = 1.0 / sim.stcs[0].tstep
    true, _ = amplitude_envelope(sim.activity, sfreq, sim.band, decim=DECIM, epochs=_epochs(sim))
    est, _ = amplitude_envelope(band_tc, sfreq, decim=DECIM, epochs=_epochs(sim))
    return tuple(np.abs(np.corrcoef(x.T)[pairs]).mean() for x in (true, est))


def _epochs(sim):
    """The epoch of every time point of the simulation's concatenated time courses."""
    return np.repeat(np.arange(len(sim.stcs)), sim.stcs[0].shape[1])


def _rank_information(X, bins=8):
    """Mutual information (nats) of the ranks of every pair of columns of X, 8 x 8 bins."""
    ranks = (np.argsort(np.argsort(X, axis=0), axis=0) * bins) // len(X)
    rows, cols = np.triu_indices(X.shape[1], 1)
    joint = np.zeros((len(rows), bins, bins))
    np.add.at(joint, (np.arange(len(rows))[:, None], ranks[:, rows].T, ranks[:, cols].T), 1)
    joint /= len(X)
    outer = joint.sum(2, keepdims=True) * joint.sum(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        info = np.where(joint > 0, joint * np.log(joint / outer), 0.0).sum((1, 2))
    pairs = np.zeros((X.shape[1],) * 2)
    pairs[rows, cols] = pairs[cols, rows] = info
    return pairs


def _same_network(true_sets, n_groups):
    same = np.zeros((n_groups, n_groups), bool)
    for regions in true_sets:
        same[np.ix_(regions, regions)] = True
    np.fill_diagonal(same, False)
    return same


def _visibility(true_sets, info):
    """How well any method could tell network pairs of regions from the others.

    The area under the ROC curve with which the pairs of regions of one network
    stand out from all other pairs by *info*, the mutual information of their
    ranks (:func:`_rank_information`: a model-free measure of any dependence,
    nonlinear included): 0.5 when nothing in the features sets a network
    apart, 1 when its regions depend on each other more than any other pair
    does.
    """
    same = _same_network(true_sets, len(info))
    rows, cols = np.triu_indices(len(info), 1)
    return roc_auc_score(same[rows, cols], info[rows, cols])


def _nearest_in_network(true_sets, info):
    """Share of the network regions whose most dependent region (by *info*) is of their network.

    Stricter than :func:`_visibility`: a region is grouped with its network
    only if no other region shares more information with it (leakage
    neighbours do).
    """
    same = _same_network(true_sets, len(info))
    members = np.concatenate(true_sets)
    others = np.where(np.eye(len(info), dtype=bool), -np.inf, info)
    return same[members, others[members].argmax(axis=1)].mean()


def _chance(true_sets, n_groups, n_components, seed):
    """F1 of random weights: what a method that sees nothing scores."""
    weights = np.random.default_rng(seed).uniform(size=(n_groups, n_components))
    return network_recovery_f1(true_sets, weights, threshold=NETWORK_THRESHOLD)[0].mean()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cells", nargs="+", default=CELLS, choices=CELLS,
                        metavar="CELL", help='e.g. "meg env orth nonlinear"')
    parser.add_argument("--jobs", type=int, default=1, help="recordings run in parallel")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: ico-3, 6 epochs, 2 lams (not results)")
    parser.add_argument("--folds", type=int, default=3, help="cross-validation folds")
    parser.add_argument("--snr", type=float, default=1.0)
    parser.add_argument("--outside-amplitude", type=float, default=1.0,
                        help="rhythm amplitude of the regions in no network, relative to "
                             "the networks' (simulate_recording's outside_amplitude)")
    parser.add_argument("--method", default="dSPM",
                        help="inverse method of simulate_recording "
                             "(dSPM, eLORETA, LCMV: a beamformer)")
    parser.add_argument("--n-epochs", type=int, default=75,
                        help="epochs of 4 s per recording (75: 5 minutes, a resting-state "
                             "recording's usual length)")
    parser.add_argument("--lowpass", type=float, default=None,
                        help="time-course cells: low-pass the label time courses at this "
                             "frequency in Hz (and keep every 5th sample), keeping the "
                             "slow activity below the rhythms (stc_to_groups' lowpass)")
    parser.add_argument("--truth", action="store_true",
                        help="also fit every method to the true activity's features (made "
                             "as the cell makes the estimates', standardised): what the "
                             "methods find where the physics hides nothing")
    parser.add_argument("--lams-subset", action="store_true",
                        help="every third of the preset's lams only (a cheaper search)")
    parser.add_argument("--preset", default=MEG_PRESETS[0], choices=MEG_PRESETS,
                        help="oi-VAE's settings and lams (PRESET_LAMS) in mne_oivae.presets")
    parser.add_argument("--subjects-dir", default=None)
    parser.add_argument("--data-path", default=None)
    args = parser.parse_args(argv)
    args.settings = getattr(presets, args.preset)
    args.spacing = "ico4"
    args.lams = getattr(presets, f"{args.preset}_LAMS")
    if args.quick:
        args.spacing, args.n_epochs = "ico3", 6
        args.lams = args.lams[1::3]
    elif args.lams_subset:
        args.lams = args.lams[1::3]
    mne.set_log_level("WARNING")
    print(f"oi-VAE: OIVAECV over lams {args.lams}, {args.folds} folds of whole epochs; "
          f"settings {args.preset} = {args.settings}; seeds {args.seeds}; {args.spacing}, "
          f"{args.n_epochs} epochs x 4 s, snr {args.snr}, "
          f"outside_amplitude {args.outside_amplitude}, {args.method} estimates, "
          f"time courses low-passed at {args.lowpass} Hz")
    recordings = sorted({(c.split()[0], c.split()[3]) for c in args.cells})
    jobs = [(s, c, seed) for s, c in recordings for seed in args.seeds]
    results = Parallel(n_jobs=args.jobs)(
        delayed(run_recording)(s, c, seed, [cell for cell in args.cells
                                            if cell.split()[0] == s
                                            and cell.split()[3] == c], args)
        for s, c, seed in jobs)
    merged = {}
    for _, out in zip(jobs, results):
        for cell, value in out.items():
            merged.setdefault(cell, []).append(value)
    print(f"{'cell':<28}" + "".join(f"{m:>13}" for m in METHODS) + f"{'chance':>8}"
          + "   visible: true / estimated   nearest: true / estimated"
          + "   leakage: true / estimated   [s/fit, s/sim]")
    table, wins = [], 0
    for cell in args.cells:
        results = merged[cell]
        row = np.array([[r.f1[m] for m in METHODS] for r in results]).mean(axis=0)
        table.append(row)
        wins += bool(row[0] >= row[1:].max() - 1e-9)
        chance = np.mean([r.f1["chance"] for r in results])
        visible = np.mean([r.visibility for r in results], axis=0)
        nearest = np.mean([r.nearest for r in results], axis=0)
        leak = np.mean([r.leakage for r in results], axis=0)
        print(f"{cell:<28}" + "".join(f"{v:13.3f}" for v in row) + f"{chance:8.3f}"
              + f"   {visible[0]:.2f} / {visible[1]:.2f}   {nearest[0]:.2f} / {nearest[1]:.2f}"
              f"   {leak[0]:.3f} / {leak[1]:.3f}   "
              f"[{np.mean([r.fit_s for r in results]):.0f}, "
              f"{np.mean([r.sim_s for r in results]):.0f}]", flush=True)
    if args.truth:
        print("on the true features:")
        for cell in args.cells:
            row = np.array([[r.truth_f1[m] for m in METHODS] for r in merged[cell]]).mean(0)
            print(f"{cell:<28}" + "".join(f"{v:13.3f}" for v in row))
    table = np.array(table)
    means = table.mean(axis=0)
    print(f"{'mean':<28}" + "".join(f"{v:13.3f}" for v in means))
    nonlinear = np.array(["nonlinear" in cell for cell in args.cells])
    nl = table[nonlinear].mean(axis=0) if nonlinear.any() else np.full(len(METHODS), np.nan)
    print(f"cells={len(table)} oivae_wins={wins} oivae_f1={means[0]:.3f} "
          f"best_baseline_f1={means[1:].max():.3f} nonlinear_oivae_f1={nl[0]:.3f} "
          f"nonlinear_best_baseline_f1={nl[1:].max():.3f}")

if __name__ == "__main__":
    main()

"""Time of the automatic lam selection against one fit, on the paper-scale MEG problem.

The paper's MEG shape (41,000 observations of 44 region time courses,
K = 20; simulated as in ``meg_fit_time.py``, cut into 410 epochs of 100 time
points): one ``OIVAE`` fit with the ``MEG_REGIONS`` preset (``n_init=1``)
against :class:`mne_oivae.OIVAECV` over ``MEG_REGIONS_LAMS`` with 5 folds of
whole epochs and the refit of the chosen lam (``n_init=3``), measured side by
side in one run, CPU, one thread by default. With ``--deep`` the same for the
deep generators of ``MEG_REGIONS_DEEP`` over ``MEG_REGIONS_DEEP_LAMS``, in the
same run: choosing the architecture from the data (both selections, then the
better held-out score) costs the sum of the two selections.

The last line is ``single_s=<s> selection_s=<s> ratio=<selection/single>``,
followed with ``--deep`` by ``deep_single_s=<s> deep_selection_s=<s>
deep_ratio=<deep selection/affine selection>``.

Usage::

    python benchmarks/selection_time.py [--threads 1] [--folds 5] [--deep]
"""

import argparse
import time

import numpy as np
import torch
from meg_fit_time import N_COMPONENTS, N_GROUPS, simulate

from mne_oivae import OIVAE, OIVAECV
from mne_oivae.presets import (MEG_REGIONS, MEG_REGIONS_DEEP, MEG_REGIONS_DEEP_LAMS,
                               MEG_REGIONS_LAMS)


def time_selection(preset, lams, X, epochs, folds):
    """Seconds of one fit and of the selection with *preset* over *lams*."""
    settings = dict(preset, n_components=N_COMPONENTS, groups=np.arange(N_GROUPS),
                    random_state=0, verbose=False)
    start = time.perf_counter()
    OIVAE(**dict(settings, n_init=1)).fit(X)
    single = time.perf_counter() - start
    start = time.perf_counter()
    cv = OIVAECV(OIVAE(**settings), lams=lams, cv=folds).fit(X, epochs=epochs)
    selection = time.perf_counter() - start
    print(f"one fit: {single:.1f} s; selection: {selection:.1f} s, chose lam = "
          f"{cv.lam_:g} ({cv.active_components_.size} active components, held-out "
          f"{cv.cv_scores_.mean(axis=1)[cv.best_index_]:.3f} per observation)")
    return single, selection


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--deep", action="store_true", help="also MEG_REGIONS_DEEP")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    X = simulate()
    epochs = np.arange(len(X)) // 100
    print(f"data {X.shape[0]} x {X.shape[1]}, {epochs[-1] + 1} epochs, K = {N_COMPONENTS}, "
          f"{MEG_REGIONS['n_iter']} iterations, {args.threads} thread(s); "
          f"{len(MEG_REGIONS_LAMS)} lams x {args.folds} folds + refit")
    single, selection = time_selection(MEG_REGIONS, MEG_REGIONS_LAMS, X, epochs,
                                       args.folds)
    summary = f"single_s={single:.1f} selection_s={selection:.1f} ratio={selection / single:.1f}"
    if args.deep:
        print("MEG_REGIONS_DEEP:")
        deep_single, deep_selection = time_selection(
            MEG_REGIONS_DEEP, MEG_REGIONS_DEEP_LAMS, X, epochs, args.folds)
        summary += (f" deep_single_s={deep_single:.1f} deep_selection_s={deep_selection:.1f}"
                    f" deep_ratio={deep_selection / selection:.1f}")
    print(summary)


if __name__ == "__main__":
    main()

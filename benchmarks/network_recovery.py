"""Recovery of planted functional networks: oi-VAE against linear baselines.

On :func:`mne_oivae.datasets.simulate_networks` defaults (4 networks over the 44
HCP-MMP1 combined regions, fsaverage ico-3) for several seeds, the label time
courses (``mode="mean_flip"``) are fitted by oi-VAE (the demo's settings) and by
scikit-learn's FactorAnalysis, FastICA and PCA with the same number of
components. Every model's group weights (absolute loadings for the baselines)
are scored by :func:`mne_oivae.metrics.network_recovery_f1` with the same
threshold. The last line reads ``oivae_f1=<x> fa_f1=<x> ica_f1=<x> pca_f1=<x>``
(means over seeds).

Needs fsaverage with the HCP-MMP1 annotations in a writable subjects directory:
``--subjects-dir DIR`` or ``SUBJECTS_DIR``.

Run: ``python benchmarks/network_recovery.py [--seeds 0 1 2] [--subjects-dir DIR]``
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.decomposition import PCA, FactorAnalysis, FastICA
from sklearn.exceptions import ConvergenceWarning

from mne_oivae._demo.meg import THRESHOLD
from mne_oivae.presets import MEG_REGIONS
from mne_oivae.datasets._networks import simulate_networks
from mne_oivae.estimator import OIVAE
from mne_oivae.metrics import network_recovery_f1
from mne_oivae.source import stc_to_groups


def baselines(X, n_components, seed):
    """Loadings, shape (n_features, n_components), of the linear baselines."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ica = FastICA(n_components, max_iter=1000, random_state=seed).fit(X)
    return {"fa": FactorAnalysis(n_components, random_state=seed).fit(X).components_.T,
            "ica": ica.mixing_,
            "pca": PCA(n_components, random_state=seed).fit(X).components_.T}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--subjects-dir", default=None)
    parser.add_argument("--n-iter", type=int, default=MEG_REGIONS["n_iter"])
    args = parser.parse_args(argv)
    settings = dict(MEG_REGIONS, n_iter=args.n_iter,
                    lam_warmup=min(MEG_REGIONS["lam_warmup"], args.n_iter // 2))
    print(f"oi-VAE settings: {settings}")
    scores = {"oivae": [], "fa": [], "ica": [], "pca": []}
    for seed in args.seeds:
        sim = simulate_networks(subjects_dir=args.subjects_dir, random_state=seed,
                                verbose=False)
        grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src, verbose=False)
        X = grouped.X
        start = time.perf_counter()
        model = OIVAE(random_state=seed, verbose=False, **settings, groups=grouped.groups).fit(X)
        fit_s = time.perf_counter() - start
        loadings = dict(oivae=model.group_weights_,
                        **baselines(X, settings["n_components"], seed))
        for name, weights in loadings.items():
            f1, _ = network_recovery_f1(sim.true_sets, weights, threshold=THRESHOLD)
            scores[name].append(f1.mean())
        print(f"seed {seed}: {X.shape[0]} x {X.shape[1]}, oi-VAE fit {fit_s:.0f} s, "
              f"{len(model.active_components_)} active components; " +
              " ".join(f"{k}={v[-1]:.3f}" for k, v in scores.items()))
    print(" ".join(f"{k}_f1={np.mean(v):.3f}" for k, v in scores.items()))


if __name__ == "__main__":
    main()

"""``mne-oivae demo meg``: find planted functional networks in simulated MEG sources."""

import time
from pathlib import Path

import mne

from .._docs import fill_doc
from ..datasets import simulate_networks
from ..estimator import OIVAE
from ..metrics import network_recovery_f1
from ..presets import MEG_REGIONS, MEG_REGIONS_LAMS, NETWORK_THRESHOLD
from ..selection import OIVAECV
from ..results import top_groups
from ..source import component_maps, fsaverage_subjects_dir, stc_to_groups
from ..viz import plot_component, plot_group_interactions, plot_lam_selection


@fill_doc
def run(out_dir, quick=False, *, subjects_dir=None, accept=False, random_state=0):
    """Simulate networks on fsaverage, fit oi-VAE, compare with the truth, save brains.

    The group-lasso strength is chosen from the data
    (:class:`~mne_oivae.OIVAECV`, 5 folds of whole epochs); its criterion
    against lambda is saved as a figure. Prints every planted network next to the
    component matched to it (its
    strongest regions and the best-match F1) and saves brain screenshots of the
    components of the first two networks plus the region interaction circle.

    Parameters
    ----------
    %(out_dir)s
    quick : bool
        Fewer epochs and iterations (a smoke test; recovery may be partial).
    subjects_dir : path-like | None
        Subjects directory with fsaverage. ``None`` uses ``SUBJECTS_DIR`` and
        otherwise downloads fsaverage with :func:`mne.datasets.fetch_fsaverage`
        (see :func:`~mne_oivae.source.fsaverage_subjects_dir`).
    %(accept_hcpmmp1)s
    random_state : int
        Seed of simulation and fit.

    Returns
    -------
    f1 : ndarray, shape (n_networks,)
        Best-match F1 of every planted network.
    """
    import matplotlib

    matplotlib.use("Agg")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    subjects_dir = fsaverage_subjects_dir(subjects_dir)
    sim = simulate_networks(n_epochs=5 if quick else 20, subjects_dir=subjects_dir,
                            accept=accept, random_state=random_state, verbose=False)
    grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src, verbose=False)
    settings = dict(MEG_REGIONS, **({"n_iter": 300, "lam_warmup": 150} if quick else {}))
    search = OIVAECV(OIVAE(**settings, groups=grouped.groups, random_state=random_state),
                     lams=MEG_REGIONS_LAMS, cv=5, verbose=False)
    start = time.perf_counter()
    search.fit(grouped.X, epochs=grouped.epochs)
    model = search.best_estimator_
    print(f"oi-VAE on {len(sim.stcs)} simulated source estimates (fsaverage ico-3): "
          f"{grouped.X.shape[0]} time points x {grouped.X.shape[1]} HCP-MMP1 regions, "
          f"K = {model.n_components}; lambda = {search.lam_:g} chosen by "
          f"{search.cv_scores_.shape[1]}-fold "
          f"cross-validation over epochs among {len(search.lams_)} values, "
          f"{model.active_components_.size} active components, "
          f"{time.perf_counter() - start:.0f} s")
    fname = out_dir / "meg_lam_selection.png"
    plot_lam_selection(search, show=False).savefig(fname, dpi=100)
    print(f"Saved the held-out criterion against lambda to {fname}")
    f1, components = network_recovery_f1(sim.true_sets, model.group_weights_,
                                         threshold=NETWORK_THRESHOLD)
    tops = top_groups(model, k=grouped.groups.n_groups, norm="peak")
    for (name, regions), score, comp in zip(sim.networks.items(), f1, components):
        print(f"\nnetwork {name!r} (F1 = {score:.2f}, component {comp})")
        found = [r for r, w in tops[comp] if w >= NETWORK_THRESHOLD] if comp >= 0 else []
        for k in range(max(len(regions), len(found))):
            truth = regions[k] if k < len(regions) else ""
            print(f"  {truth:<52} {found[k] if k < len(found) else ''}")
    print(f"\nmean best-match F1: {f1.mean():.2f} (left: planted regions, right: "
          f"regions of the matched component, weight >= {NETWORK_THRESHOLD} x its peak)")
    maps = component_maps(model, grouped)
    shown = [c for c in components if c >= 0 and model.group_weights_[:, c].any()]
    for comp in shown[:2]:
        fname = out_dir / f"meg_component_{comp}.png"
        fig = plot_component(maps, int(comp), "fsaverage", subjects_dir,
                             show=False)
        if isinstance(fig, mne.viz.Brain):
            fig.save_image(fname)
            fig.close()
        else:
            fig.savefig(fname, dpi=100)
        print(f"Saved component {comp} on the brain to {fname}")
    fname = out_dir / "meg_group_interactions.png"
    plot_group_interactions(model, n_lines=40, show=False).savefig(fname, dpi=100)
    print(f"Saved the region interaction circle to {fname}")
    return f1


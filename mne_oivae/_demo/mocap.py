"""``mne-oivae demo mocap``: the paper's walking experiment (Sec. 6.2, Table 1, Fig. 3)."""

from pathlib import Path

import numpy as np

from .._docs import fill_doc
from ..mocap import SUBJECT7_WALKS, load_cmu_trials, top_joints_table
from ..presets import MOCAP_RECIPE


@fill_doc
def run(out_dir, quick=False, *, path=None, download=True, drop_constant=False,
        n_components=MOCAP_RECIPE["n_components"], lam=MOCAP_RECIPE["lam"], n_iter=None,
        random_state=0, verbose=None):
    """Fit oi-VAE on CMU subject 7's walks, list the top joints and save figures.

    The model is :data:`mne_oivae.presets.MOCAP_RECIPE` (the paper's
    ``V_g tanh(u) + b_g`` generators, a group lasso tuned on walks 1-10).

    Prints the three joints with the largest weight for every active component
    (the paper's Table 1) and writes the joints x components weight heatmap
    (Fig. 3), unconditional samples, and poses along the strongest component
    (the mean pose as that component's value sweeps from -2 to 2 with the others
    at 0) as PNG files.

    Parameters
    ----------
    %(out_dir)s
    quick : bool
        Fit on 2 trials with few iterations (a smoke test) instead of 10 trials.
    path : path-like | None
        Where the CMU files are (or go); see
        :func:`mne_oivae.mocap.load_cmu_trials` (which also finds the files in
        ``$MNE_OIVAE_SHARED_DATA/cmu_mocap``). Any folder of files in the
        database's layout works, e.g. generated ones for tests.
    download : bool
        Whether missing files may be downloaded from the CMU database.
    drop_constant : bool
        Leave out the channels that never move (CMU's clavicles and fingers).
        By default they are kept, as in the paper (59 angles), and oi-VAE
        prunes them; the estimator's noise floor keeps their zero variance
        from dominating.
    n_components : int
        Latent dimension K.
    lam : float
        Group-lasso strength per frame of :class:`mne_oivae.OIVAE` (see
        :data:`~mne_oivae.presets.MOCAP_RECIPE` for how it was chosen).
    n_iter : int | None
        Training iterations; ``None`` uses 300 if ``quick`` else the recipe's.
    random_state : int
        Seed of the fit and of the samples.
    verbose : bool | str | int | None
        Log level.

    Returns
    -------
    result : dict
        ``model``, ``data`` (the :class:`~mne_oivae.mocap.MocapTrials`),
        ``table`` (the printed text) and ``files`` (the PNGs written).

    Raises
    ------
    mne_oivae.mocap.MocapDataNotFoundError
        If the trials are neither on disk nor downloadable; the message says where
        it looked and how to get them.
    """
    import matplotlib.pyplot as plt

    from ..estimator import OIVAE
    from ..viz import plot_group_weights
    from ..viz import plot_poses

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    trials = SUBJECT7_WALKS[:2] if quick else SUBJECT7_WALKS[:10]
    data = load_cmu_trials(7, list(trials), path=path, download=download,
                           drop_constant=drop_constant, verbose=verbose)
    n_iter = (300 if quick else MOCAP_RECIPE["n_iter"]) if n_iter is None else n_iter
    params = dict(MOCAP_RECIPE, n_components=n_components, lam=lam, n_iter=n_iter)
    model = OIVAE(groups=data.groups, **params, random_state=random_state,
                  verbose=verbose).fit(data.X)
    table = top_joints_table(model)
    print(f"oi-VAE (K={n_components}, lambda={lam:g}) on CMU subject 7, walk trials "
          f"{trials[0]}-{trials[-1]} ({data.X.shape[0]} frames, "
          f"{data.groups.n_groups} joints)")
    print(table)

    files = []
    fig = plot_group_weights(model, title=f"oi-VAE weights, K={n_components}, "
                             f"lambda={lam:g}", show=False)
    files.append(_save(fig, out_dir / "mocap_group_weights.png"))
    samples = model.sample(6, random_state=random_state)
    fig = plot_poses(data.skeleton, samples, scaler=data.scaler, show=False,
                     titles=[f"sample {k + 1}" for k in range(len(samples))])
    files.append(_save(fig, out_dir / "mocap_samples.png"))
    strongest = int(np.argmax(model.group_weights_.sum(axis=0)))
    values = np.linspace(-2, 2, 5)
    Z = np.zeros((values.size, n_components))
    Z[:, strongest] = values
    fig = plot_poses(data.skeleton, model.inverse_transform(Z), scaler=data.scaler,
                     titles=[f"z{strongest} = {v:+.0f}" for v in values], show=False)
    files.append(_save(fig, out_dir / "mocap_component_sweep.png"))
    plt.close("all")
    for fname in files:
        print(f"Wrote {fname}")
    return dict(model=model, data=data, table=table, files=files)


def _save(fig, fname):
    fig.savefig(fname, dpi=110)
    return fname

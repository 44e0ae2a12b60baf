"""``mne-oivae demo bars``: the paper's Sec. 6.1 on embedded synthetic data."""

import time

from ..datasets import make_bars
from ..estimator import OIVAE
from ..metrics import match_components
from ..presets import BARS
from ..viz import plot_group_weights


def run(out_dir, quick=False, random_state=0):
    """Fit K = 8 oi-VAE to 2048 bars images, print the row-to-component map, save Fig. 2c.

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder for ``bars_group_weights.png``.
    quick : bool
        Fewer iterations (a smoke test; rows may not all separate).
    random_state : int
        Seed of data and fit.

    Returns
    -------
    model : OIVAE
    """
    import matplotlib

    matplotlib.use("Agg")
    X, groups = make_bars(n_samples=2048, random_state=random_state)
    settings = dict(BARS, **({"n_iter": 300, "n_init": 1} if quick else {}))
    model = OIVAE(**settings, groups=groups, random_state=random_state)
    start = time.perf_counter()
    model.fit(X)
    elapsed = time.perf_counter() - start
    components, share = match_components(model.group_weights_)
    print(f"oi-VAE on bars: {X.shape[0]} images of 8 x 8, K = 8, lambda = {model.lam}, "
          f"{model.n_iter_} iterations x {model.n_init} init(s) in {elapsed:.1f} s")
    print(f"{'row':>6}  {'component':>9}  {'share of the row weight':>24}")
    for name, comp, frac in zip(groups.names, components, share):
        print(f"{name:>6}  {comp:>9d}  {frac:>24.1%}")
    separated = int((share >= 0.8).sum())
    print(f"{separated} of {groups.n_groups} rows are driven by their own component "
          "(>= 80 % of the row's weight)")
    fig = plot_group_weights(model, title=f"oi-VAE, bars, lambda = {model.lam}",
                             show=False)
    fname = out_dir / "bars_group_weights.png"
    fig.savefig(fname, dpi=150)
    print(f"Saved the group-weight heatmap (the paper's Fig. 2c) to {fname}")
    return model

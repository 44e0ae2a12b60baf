"""The held-out criterion of :class:`~mne_oivae.OIVAECV` against lam."""

import numpy as np

from .._docs import fill_doc
from ..selection import chosen_lam_text


@fill_doc
def plot_lam_selection(model, *, axes=None, show=True):
    """Plot held-out log-likelihood and map stability against lam, choice marked.

    Parameters
    ----------
    model : OIVAECV
        A fitted :class:`~mne_oivae.OIVAECV`.
    axes : matplotlib.axes.Axes | None
        Axes to draw the held-out score into (the stability goes on a twin
        axis); a new figure is made if ``None``.
    %(show)s

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_lam_selection(model_cv)  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if not hasattr(model, "cv_scores_"):
        raise ValueError("model must be a fitted OIVAECV (it has no cv_scores_); call "
                         "model.fit(X, epochs=...) first")
    if axes is None:
        fig, axes = plt.subplots(figsize=(6, 3.8), layout="constrained")
    fig = axes.figure
    lams, scores = model.lams_, model.cv_scores_
    mean = scores.mean(axis=1)
    se = scores.std(axis=1, ddof=1) / np.sqrt(scores.shape[1])
    axes.errorbar(lams, mean, yerr=se, fmt="o-", color="C0", capsize=3,
                  label="held-out log p(x) (mean ± SE over folds)")
    axes.axvline(model.lam_, color="k", ls="--", lw=1,
                 label=f"chosen lam = {chosen_lam_text(model)}")
    axes.set(xscale="log", xlabel="lam", ylabel="held-out log p(x) per observation")
    twin = axes.twinx()
    twin.plot(lams, model.stability_, "s:", color="C1", label="map stability across folds")
    twin.set(ylabel="map stability", ylim=(-0.05, 1.05))
    for k, lam in enumerate(lams):
        axes.annotate(f"{model.n_active_[k].min()}-{model.n_active_[k].max()}",
                      (lam, mean[k]), textcoords="offset points", xytext=(0, 8),
                      ha="center", fontsize=7)
    handles = [h for ax in (axes, twin) for h in ax.get_legend_handles_labels()[0]]
    labels = [lab for ax in (axes, twin) for lab in ax.get_legend_handles_labels()[1]]
    axes.legend(handles, labels, fontsize=8, loc="lower left")
    axes.set_title("choosing lam (numbers: active components per fold)", fontsize=10)
    if show:
        plt.show()
    return fig

"""Groups x components heatmap of oi-VAE weights (the paper's Figs. 2, 3, 6)."""

import numpy as np

from .._docs import fill_doc
from ..results import normalize_components


@fill_doc
def plot_group_weights(model_or_matrix, group_names=None, *, normalize=False, cmap="Blues",
                       title=None, axes=None, show=True):
    """Plot ``||W(g)[:, j]||`` as a groups x components heatmap.

    Parameters
    ----------
    model_or_matrix : OIVAE | array-like, shape (n_groups, n_components)
        A fitted :class:`~mne_oivae.OIVAE` or its ``group_weights_``.
    group_names : list of str | None
        Row labels; defaults to the model's group names (or indices).
    normalize : bool
        Scale every component (column) to a maximum of 1.
    cmap : str
        Matplotlib colormap.
    title : str | None
        Axes title.
    axes : matplotlib.axes.Axes | None
        Axes to draw into; a new figure is made if ``None``.
    %(show)s

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    See :ref:`sphx_glr_auto_tutorials_plot_bars.py`.
    """
    import matplotlib.pyplot as plt

    if hasattr(model_or_matrix, "group_weights_"):
        weights = model_or_matrix.group_weights_
        if group_names is None:
            group_names = model_or_matrix.groups_.names
    elif hasattr(model_or_matrix, "fit"):
        raise ValueError("the model is not fitted yet: call fit() before plotting its "
                         "group weights")
    else:
        weights = model_or_matrix
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError("model_or_matrix must be a fitted OIVAE or a 2D (n_groups, "
                         f"n_components) array, got shape {weights.shape}")
    if group_names is None:
        group_names = [str(g) for g in range(weights.shape[0])]
    if len(group_names) != weights.shape[0]:
        raise ValueError(f"group_names has {len(group_names)} entries for "
                         f"{weights.shape[0]} groups")
    if normalize:
        weights = normalize_components(weights)
    n_groups, n_comp = weights.shape
    if axes is None:
        fig, axes = plt.subplots(figsize=(1.2 + 0.35 * n_comp,
                                          1.0 + 0.22 * max(n_groups, 4)), layout="constrained")
    else:
        fig = axes.figure
    image = axes.imshow(weights, aspect="auto", cmap=cmap, vmin=0, interpolation="nearest")
    axes.set_xticks(np.arange(n_comp))
    axes.set_yticks(np.arange(n_groups), labels=group_names,
                    fontsize=8 if n_groups > 20 else None)
    axes.set_xlabel("latent component")
    axes.set_ylabel("group")
    axes.set_title(title if title is not None else "||W(g)[:, j]||")
    fig.colorbar(image, ax=axes, label="normalised weight" if normalize else "weight")
    if show:
        plt.show()
    return fig

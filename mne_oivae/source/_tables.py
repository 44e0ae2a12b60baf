"""Modality-agnostic tables from a fitted model's group weights."""

import numpy as np
from mne.utils import _validate_type


def top_groups(model, names=None, k=3):
    """The k strongest groups of every component (Table 1 of the oi-VAE paper).

    Parameters
    ----------
    model : OIVAE
        A fitted model.
    names : list of str | None
        Group names; ``None`` uses ``model.groups_.names``.
    k : int
        Number of groups per component.

    Returns
    -------
    top : list of list of (str, float)
        ``top[j]`` lists up to k ``(name, weight)`` pairs of component j with
        non-zero weight, strongest first; empty for a pruned component.

    Examples
    --------
    >>> for j, regions in enumerate(top_groups(model)):  # doctest: +SKIP
    ...     print(j, [name for name, _ in regions])
    """
    weights = group_weights(model)
    names = model.groups_.names if names is None else list(names)
    if len(names) != weights.shape[0]:
        raise ValueError(f"names has {len(names)} entries but the model has "
                         f"{weights.shape[0]} groups")
    _validate_type(k, "int", "k")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    top = []
    for column in weights.T:
        order = np.argsort(-column, kind="stable")[:k]
        top.append([(names[g], float(column[g])) for g in order if column[g] > 0])
    return top


def group_interactions(model):
    """Shared-component strength between every pair of groups.

    The bipartite component-to-group graph of oi-VAE folded into a
    group-by-group connectivity matrix, for circular connectivity plots.

    Parameters
    ----------
    model : OIVAE
        A fitted model.

    Returns
    -------
    strength : ndarray, shape (n_groups, n_groups)
        Symmetric, zero diagonal: ``strength[g, h] = sum_j w[g, j] * w[h, j]``
        where ``w`` is ``group_weights_`` with every component scaled to a
        maximum of 1, so each component counts equally whatever its scale.

    See Also
    --------
    mne_oivae.viz.plot_group_interactions

    Examples
    --------
    >>> strength = group_interactions(model)  # doctest: +SKIP
    """
    weights = group_weights(model)
    peak = weights.max(axis=0)
    w = np.divide(weights, peak, out=np.zeros_like(weights), where=peak > 0)
    strength = w @ w.T
    np.fill_diagonal(strength, 0.0)
    return strength


def group_weights(model):
    weights = getattr(model, "group_weights_", None)
    if weights is None:
        raise ValueError(f"model ({type(model).__name__}) is not fitted: it has no "
                         "group_weights_; fit it first")
    return np.asarray(weights, dtype=np.float64)



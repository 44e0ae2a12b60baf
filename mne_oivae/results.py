"""Results of a fitted model for any modality: tables and matrices from ``group_weights_``.

What a component drives is read the same way for brain regions, joints or
image rows; the adapters turn these results into their domain's objects
(brain maps, poses) and the figures draw them.
"""

import numpy as np
from mne.utils import _check_option

from ._docs import fill_doc
from ._validation import check_int

__all__ = ["group_interactions", "normalize_components", "top_groups"]


def normalize_components(weights, norm="peak"):
    """Scale every component (column) of a component-to-group map.

    Parameters
    ----------
    weights : array-like, shape (n_groups, n_components)
        Non-negative group weights, e.g. ``OIVAE.group_weights_``.
    norm : ``"peak"`` | ``"total"``
        ``"peak"`` scales each component to a maximum of 1, so that components
        of different scales compare; ``"total"`` to a sum of 1, so that each
        weight is its group's share of the component.

    Returns
    -------
    normalized : ndarray, shape (n_groups, n_components)
        All zeros in a pruned component (all of its weights zero).

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.results import normalize_components
    >>> normalize_components(np.array([[2.0, 0.0], [1.0, 0.0]]), "total")
    array([[0.66666667, 0.        ],
           [0.33333333, 0.        ]])
    """
    _check_option("norm", norm, ("peak", "total"))
    weights = np.asarray(weights, dtype=float)
    scale = weights.max(axis=0) if norm == "peak" else weights.sum(axis=0)
    return np.divide(weights, scale, out=np.zeros_like(weights), where=scale > 0)


@fill_doc
def top_groups(model, names=None, k=3, *, norm=None):
    """The k strongest groups of every component (Table 1 of the oi-VAE paper).

    Parameters
    ----------
    %(model_fitted)s
    names : list of str | None
        Group names; ``None`` uses ``model.groups_.names``.
    k : int
        Number of groups per component.
    norm : None | ``"peak"`` | ``"total"``
        Report the weights as they are (``None``) or scaled per component by
        :func:`normalize_components`: ``"total"`` gives each group's share.

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
    weights = fitted_weights(model)
    if norm is not None:
        weights = normalize_components(weights, norm)
    names = model.groups_.names if names is None else list(names)
    if len(names) != weights.shape[0]:
        raise ValueError(f"names has {len(names)} entries but the model has "
                         f"{weights.shape[0]} groups")
    k = check_int(k, "k", minimum=1)
    top = []
    for column in weights.T:
        order = np.argsort(-column, kind="stable")[:k]
        top.append([(names[g], float(column[g])) for g in order if column[g] > 0])
    return top


@fill_doc
def group_interactions(model):
    """Shared-component strength between every pair of groups.

    The bipartite component-to-group graph of oi-VAE folded into a
    group-by-group connectivity matrix, for circular connectivity plots.

    Parameters
    ----------
    %(model_fitted)s

    Returns
    -------
    strength : ndarray, shape (n_groups, n_groups)
        Symmetric, zero diagonal: ``strength[g, h] = sum_j w[g, j] * w[h, j]``
        where ``w`` is ``group_weights_`` with every component scaled to a
        maximum of 1 (:func:`normalize_components`), so each component counts
        equally whatever its scale.

    See Also
    --------
    mne_oivae.viz.plot_group_interactions

    Examples
    --------
    >>> strength = group_interactions(model)  # doctest: +SKIP
    """
    w = normalize_components(fitted_weights(model))
    strength = w @ w.T
    np.fill_diagonal(strength, 0.0)
    return strength


def fitted_weights(model):
    """``model.group_weights_`` as float64, or an error that says the model is not fitted."""
    weights = getattr(model, "group_weights_", None)
    if weights is None:
        raise ValueError(f"model ({type(model).__name__}) is not fitted: it has no "
                         "group_weights_; fit it first")
    return np.asarray(weights, dtype=np.float64)

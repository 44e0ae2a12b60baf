"""Scores of recovered structure: component matching on group-weight maps."""

import numpy as np
from scipy.optimize import linear_sum_assignment


def match_components(weights):
    """Match every group to its own component (Hungarian algorithm).

    Parameters
    ----------
    weights : ndarray, shape (n_groups, n_components)
        Non-negative group weights, e.g. ``OIVAE.group_weights_``; needs
        ``n_components >= n_groups``.

    Returns
    -------
    components : ndarray of int, shape (n_groups,)
        The component matched to every group, maximising the total share of
        weight mass.
    share : ndarray, shape (n_groups,)
        Fraction of each group's weight mass carried by its matched component
        (0 for a group with no weight at all).

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.metrics import match_components
    >>> match_components(np.array([[0.0, 2.0], [1.0, 0.0]]))[0]
    array([1, 0])
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2 or weights.shape[1] < weights.shape[0]:
        raise ValueError("weights must be a (n_groups, n_components) array with at least "
                         f"as many components as groups, got shape {weights.shape}")
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise ValueError("weights must be finite and non-negative")
    total = weights.sum(axis=1, keepdims=True)
    share = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    rows, cols = linear_sum_assignment(share, maximize=True)
    components = np.empty(weights.shape[0], dtype=int)
    components[rows] = cols
    return components, share[np.arange(weights.shape[0]), components]

"""Scores of recovered structure: component matching on group-weight maps."""

import numpy as np
from scipy.optimize import linear_sum_assignment

from .results import normalize_components


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


def network_recovery_f1(true_sets, weights, threshold=0.5):
    """Best-match F1 between planted networks and thresholded component maps.

    Every component's weights are scaled to a maximum of 1 and the groups at or
    above ``threshold`` form its network. Each true network is matched one to
    one to a component (Hungarian algorithm, maximising the total F1).

    Parameters
    ----------
    true_sets : list of array-like of int
        Group indices of every true network, e.g. ``simulate_networks().true_sets``.
    weights : array-like, shape (n_groups, n_components)
        Group weights such as ``OIVAE.group_weights_``; signed loadings of a
        linear model (one feature per group) are used by absolute value.
    threshold : float
        Fraction of a component's peak weight a group needs to belong to it.

    Returns
    -------
    f1 : ndarray, shape (n_networks,)
        F1 score of every true network with its matched component (0 when
        there are fewer components than networks and it is left unmatched).
    components : ndarray of int, shape (n_networks,)
        The matched component of every network (-1 if unmatched).

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.metrics import network_recovery_f1
    >>> f1, comp = network_recovery_f1([[0, 1], [2]], np.array([[0, 1.], [0, .9], [1, 0]]))
    >>> f1, comp
    (array([1., 1.]), array([1, 0]))
    """
    weights = np.abs(np.asarray(weights, dtype=float))
    if weights.ndim != 2 or not np.isfinite(weights).all():
        raise ValueError("weights must be a finite (n_groups, n_components) array, got "
                         f"shape {weights.shape}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    truth = np.zeros((len(true_sets), weights.shape[0]), dtype=bool)
    for k, members in enumerate(true_sets):
        members = np.asarray(members, dtype=int)
        if members.size == 0 or members.min() < 0 or members.max() >= weights.shape[0]:
            raise ValueError(f"true_sets[{k}] must be a non-empty set of group indices in "
                             f"[0, {weights.shape[0] - 1}], got {members.tolist()}")
        truth[k, members] = True
    peak = weights.max(axis=0)
    found = (weights >= threshold * peak) & (peak > 0)
    hits = truth.astype(float) @ found
    sizes = truth.sum(axis=1)[:, np.newaxis] + found.sum(axis=0)
    f1_all = 2 * hits / sizes
    rows, cols = linear_sum_assignment(f1_all, maximize=True)
    f1 = np.zeros(len(true_sets))
    components = np.full(len(true_sets), -1)
    f1[rows], components[rows] = f1_all[rows, cols], cols
    return f1, components


def map_agreement(weights_a, weights_b):
    """Agreement of two component-to-group maps, whatever the order of components.

    Every component (column) is scaled to a maximum of 1; the components of
    *weights_b* are aligned to those of *weights_a* (Hungarian algorithm on the
    correlation of their group profiles); the result is the correlation of
    the two aligned maps, flattened. 1 means the same map.

    Parameters
    ----------
    weights_a, weights_b : ndarray, shape (n_groups, n_components)
        Non-negative group weights, e.g. two fits' ``group_weights_``.

    Returns
    -------
    agreement : float
        In [-1, 1]; 0 when either map is all zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.metrics import map_agreement
    >>> W = np.array([[1.0, 0.0], [0.5, 0.0], [0.0, 2.0]])
    >>> round(map_agreement(W, W[:, ::-1]), 6)
    1.0
    """
    a, b = normalize_components(weights_a), normalize_components(weights_b)
    if a.shape != b.shape:
        raise ValueError(f"the two maps must have the same shape, got {a.shape} and "
                         f"{b.shape}")
    _, order = linear_sum_assignment(_correlation(a, b), maximize=True)
    return float(_correlation(a.reshape(-1, 1), b[:, order].reshape(-1, 1))[0, 0])


def _correlation(a, b):
    """Correlation of every column of *a* with every column of *b* (0 if constant)."""
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    norms = np.outer(np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0))
    return np.divide(a.T @ b, norms, out=np.zeros_like(norms), where=norms > 0)

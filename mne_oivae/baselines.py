"""The methods MEG researchers use to find networks, as component-to-group weights.

Every method takes the data matrix an oi-VAE would be fitted on and returns
non-negative weights of shape ``(n_groups, n_components)``, comparable to
:attr:`mne_oivae.OIVAE.group_weights_` and scored the same way (e.g. by
:func:`mne_oivae.metrics.network_recovery_f1`):

- ``"fa"``, ``"ica"``, ``"pca"``, ``"spca"``: scikit-learn's FactorAnalysis,
  FastICA (spatial maps = mixing columns), PCA and SparsePCA on the features as
  given; a group's weight is the norm of its features' loadings.
- ``"envelope_ica"``: temporal ICA on amplitude envelopes (Brookes et al.
  2011): FastICA on the Hilbert amplitude of every region's time course, the
  maps are the mixing matrix's columns.
- ``"aec"``: amplitude-envelope-correlation networks: the pairwise
  orthogonalised envelope correlation of every pair of regions
  (:func:`mne_connectivity.envelope_correlation`, Hipp et al. 2012), averaged
  over epochs, clustered into ``n_components`` networks by average-linkage
  agglomerative clustering on ``1 - |correlation|``; a region weighs 1 in its
  cluster and 0 elsewhere.

The two envelope methods take band-limited time courses (one feature per
region, e.g. :func:`mne_oivae.stc_to_groups` on band-passed estimates) and
compute the envelopes themselves, within every epoch.
"""

import warnings

import numpy as np
from scipy.signal import hilbert
from sklearn.cluster import AgglomerativeClustering
from sklearn.decomposition import PCA, FactorAnalysis, FastICA, SparsePCA
from sklearn.exceptions import ConvergenceWarning
from mne.utils import _check_option

from ._validation import check_int
from .groups import GroupSpec, as_group_spec

#: Names of the methods of :func:`baseline_group_weights`.
BASELINES = ("fa", "ica", "pca", "spca", "envelope_ica", "aec")
_ENVELOPE_METHODS = ("envelope_ica", "aec")


def baseline_group_weights(method, X, n_components, *, groups=None, epochs=None,
                           random_state=None):
    """Component-to-group weights of one baseline method.

    Parameters
    ----------
    method : str
        One of :data:`BASELINES`: ``"fa"``, ``"ica"``, ``"pca"``, ``"spca"``,
        ``"envelope_ica"``, ``"aec"`` (see :mod:`mne_oivae.baselines`).
    X : array-like, shape (n_samples, n_features)
        The data, one observation per row (e.g. ``GroupedSource.X``). For
        ``"envelope_ica"`` and ``"aec"``: band-limited time courses, one
        feature per group.
    n_components : int
        Number of components (of clusters for ``"aec"``).
    groups : GroupSpec | list | None
        Groups of the features, as for :class:`mne_oivae.OIVAE`; ``None``: one
        feature per group.
    epochs : array-like of int, shape (n_samples,) | None
        Epoch of every row (``GroupedSource.epochs``); envelopes are computed
        within each epoch. ``None``: one continuous recording. Not used by the
        methods on the features as given.
    random_state : int | None
        Seed of the randomised methods.

    Returns
    -------
    weights : ndarray, shape (n_groups, n_components)
        Non-negative weight of every group in every component.

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.baselines import baseline_group_weights
    >>> X = np.random.default_rng(0).standard_normal((200, 6))
    >>> baseline_group_weights("pca", X, 3).shape
    (6, 3)
    """
    _check_option("method", method, BASELINES)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.isfinite(X).all():
        raise ValueError(f"X must be a finite 2D array (n_samples, n_features), got "
                         f"shape {X.shape}")
    n_components = check_int(n_components, "n_components", minimum=1)
    spec = (GroupSpec.from_sizes(np.ones(X.shape[1], dtype=int)) if groups is None
            else as_group_spec(groups, X.shape[1]))
    if method in _ENVELOPE_METHODS:
        if (spec.sizes != 1).any():
            raise ValueError(f'method="{method}" needs one time course per group (e.g. '
                             'stc_to_groups(..., mode="mean_flip")), got groups of sizes '
                             f"up to {spec.sizes.max()}")
        segments = _segments(X, epochs)
        if method == "aec":
            return _aec_clusters(segments, n_components)
        X = np.concatenate([np.abs(hilbert(s, axis=0)) for s in segments])
    loadings = _loadings(method, X, n_components, random_state)
    return np.stack([np.linalg.norm(loadings[idx], axis=0) for idx in spec.indices])


def _loadings(method, X, n_components, seed):
    """(n_features, n_components) loadings of a linear decomposition."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "fa":
            return FactorAnalysis(n_components, random_state=seed).fit(X).components_.T
        if method == "pca":
            return PCA(n_components, random_state=seed).fit(X).components_.T
        if method == "spca":
            return SparsePCA(n_components, random_state=seed).fit(X).components_.T
        return FastICA(n_components, max_iter=1000, random_state=seed).fit(X).mixing_


def _segments(X, epochs):
    """The rows of every epoch, in epoch order."""
    if epochs is None:
        return [X]
    epochs = np.asarray(epochs)
    if epochs.shape != (X.shape[0],):
        raise ValueError(f"epochs must give one epoch index per row of X "
                         f"({X.shape[0]}), got shape {epochs.shape}")
    return [X[epochs == e] for e in np.unique(epochs)]


def _aec_clusters(segments, n_clusters):
    try:
        from mne_connectivity import envelope_correlation
    except ImportError as err:
        raise ImportError('method="aec" needs mne-connectivity: pip install '
                          'mne-connectivity (or mne-oivae[brain])') from err
    n_groups = segments[0].shape[1]
    if n_clusters > n_groups:
        raise ValueError(f'method="aec" clusters {n_groups} regions: n_components '
                         f"must be at most {n_groups}, got {n_clusters}")
    conn = envelope_correlation([s.T for s in segments], orthogonalize="pairwise",
                                verbose=False)
    corr = conn.combine().get_data(output="dense")[..., 0]
    corr = np.abs(corr + corr.T) / 2  # MNE fills one triangle
    np.fill_diagonal(corr, 1.0)
    clusters = AgglomerativeClustering(n_clusters, metric="precomputed",
                                       linkage="average").fit_predict(1.0 - corr)
    return (clusters[:, np.newaxis] == np.arange(n_clusters)).astype(float)


__all__ = ["BASELINES", "baseline_group_weights"]

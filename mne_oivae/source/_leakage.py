"""Leakage correction of region time courses: symmetric orthogonalisation."""

import numpy as np
from mne.utils import logger

from .._validation import check_float, check_int

_RANK_TOL = 1e-10  # singular values below this times the largest count as zero


def symmetric_orthogonalize(X, *, amplitude_preserving=True, max_iter=100, tol=1e-8):
    """Remove zero-lag correlation between region time courses (leakage correction).

    The inverse solution smears every source into its neighbours (signal
    leakage), so region time courses share zero-lag components that are not
    functional coupling. Symmetric orthogonalisation (Colclough et al. 2015 [1]_)
    replaces the columns of ``X`` by the closest set of mutually orthogonal
    columns, treating all regions alike (unlike pairwise or sequential
    orthogonalisation): with ``X - mean = U S V^T``, the closest orthonormal
    matrix is ``O = U V^T``. The amplitude-preserving variant finds ``O`` and a
    diagonal ``D`` minimising ``||X - O D||`` by alternating ``O =
    polar(X D)`` and ``D = diag(O^T X)`` (Colclough et al., Sec. 2.3), so
    every region keeps about its own amplitude.

    Apply it to band-limited time courses before taking their envelopes
    (:func:`stc_to_groups` does so with ``orthogonalize=True``); zero-lag
    coupling is removed whether it is leakage or real, lagged coupling and
    amplitude-envelope coupling remain.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_regions)
        Time courses, one column per region (columns are centred first).
    amplitude_preserving : bool
        ``True`` (default): the iterative variant, columns of ``O D``.
        ``False``: ``O`` scaled by ``sqrt(n_samples)`` (unit-variance columns).
    max_iter : int
        Iterations of the amplitude-preserving variant.
    tol : float
        Stop when the relative change of ``||X - O D||^2`` falls below it.

    Returns
    -------
    X_orth : ndarray of float64, shape (n_samples, n_regions)
        Centred, mutually orthogonal columns (zero sample correlation).

    Notes
    -----
    Needs at least as many samples as regions and data of full column rank:
    ``n_regions`` orthogonal columns cannot be made from fewer dimensions.
    With more regions than the inverse solution's rank (e.g. many small
    labels, or a few sensors), merge regions or use a coarser parcellation.

    References
    ----------
    .. [1] Colclough G. L., Brookes M. J., Smith S. M., Woolrich M. W. (2015). A
       symmetric multivariate leakage correction for MEG connectomes.
       NeuroImage 117:439-448.

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.source import symmetric_orthogonalize
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 3)) @ [[1, .8, 0], [0, .6, 0], [0, 0, 1]]
    >>> corr = np.corrcoef(symmetric_orthogonalize(X).T)
    >>> bool(np.allclose(corr, np.eye(3)))
    True
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.isfinite(X).all():
        raise ValueError(f"X must be a finite 2D array (n_samples, n_regions), got shape "
                         f"{X.shape}")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_float(tol, "tol", minimum=0)
    n, p = X.shape
    if n < p:
        raise ValueError(f"symmetric orthogonalisation needs at least as many time points "
                         f"as regions: got {n} time points for {p} regions. Use longer "
                         "(or more) epochs, or fewer regions")
    X = X - X.mean(axis=0)
    u, s, vt = np.linalg.svd(X, full_matrices=False)
    rank = int((s > _RANK_TOL * s[0]).sum()) if s[0] > 0 else 0
    if rank < p:
        raise ValueError(f"symmetric orthogonalisation needs time courses of full rank, "
                         f"but the {p} regions span only {rank} dimensions (regions "
                         "that are copies or mixtures of others, constant regions, or "
                         "more regions than the inverse solution's rank). Use fewer, "
                         "larger regions")
    if not amplitude_preserving:
        return np.sqrt(n) * (u @ vt)
    d = np.linalg.norm(X, axis=0)
    previous = np.inf
    for it in range(max_iter):  # noqa: B007 (the count is logged below)
        u, _, vt = np.linalg.svd(X * d, full_matrices=False)
        orth = u @ vt
        d = np.einsum("ij,ij->j", orth, X)
        error = np.sum((X - orth * d) ** 2)
        if previous - error <= tol * error:
            break
        previous = error
    logger.debug(f"Symmetric orthogonalisation: {it + 1} iterations, relative residual "
                 f"{error / np.sum(X ** 2):.3g}")
    return orth * d

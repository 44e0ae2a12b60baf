"""Input checks MNE does not have (bounded numbers, data arrays), on MNE's validators.

Types and options are checked with :func:`mne.utils._validate_type` and
:func:`mne.utils._check_option` everywhere outside the torch engine
(:mod:`mne_oivae._engine`, which stays free of MNE and checks nothing the
estimator has not checked).
"""

import operator

import numpy as np
from mne.utils import _validate_type


def check_int(value, name, minimum=None):
    """Return *value* as int, checking it is an integer and >= *minimum*."""
    _validate_type(value, "int", name)
    value = operator.index(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def check_float(value, name, minimum=None, strict=False):
    """Return *value* as float, checking it is a finite real >= (or >) *minimum*."""
    _validate_type(value, "numeric", name, "float")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
    return value


def check_data(X, name="X", n_features=None):
    """Return *X* as a finite float 2D array (n_samples, n_features)."""
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    try:
        X = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be convertible to a 2D array of floats: {exc}") \
            from None
    if X.dtype == object or not (np.issubdtype(X.dtype, np.floating)
                                 or np.issubdtype(X.dtype, np.integer)
                                 or X.dtype == bool):
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2D array of shape (n_samples, n_features), "
                         f"got an array with {X.ndim} dimension(s) of shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}); it needs at least one "
                         "sample and one feature")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but the model was fitted "
                         f"with {n_features} features")
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    return check_finite(X, name)


def check_finite(X, name="X"):
    """Return the 2D float array *X*, raising if it holds NaN or Inf (named, located)."""
    # in row chunks: a mask of the whole array would cost a quarter of a float32 X
    step = max(1, 2**22 // X.shape[1])
    n_bad, first = 0, None
    for start in range(0, X.shape[0], step):
        bad = ~np.isfinite(X[start:start + step])
        if bad.any():
            n_bad += int(bad.sum())
            if first is None:
                rows, cols = np.nonzero(bad)
                first = (start + rows[0], cols[0])
    if n_bad:
        raise ValueError(
            f"{name} contains {n_bad} non-finite value(s) (NaN or Inf), first at "
            f"sample {first[0]}, feature {first[1]}; remove or impute them before fitting"
        )
    return X


def check_band(band, sfreq):
    """The band as two floats, 0 < low < high < Nyquist."""
    try:
        low, high = (float(f) for f in band)
    except (TypeError, ValueError):
        raise TypeError(f"band must be a pair of frequencies (low, high) in Hz, got "
                        f"{band!r}") from None
    if not 0 < low < high:
        raise ValueError(f"band must satisfy 0 < low < high, got ({low}, {high}) Hz")
    if high >= sfreq / 2:
        raise ValueError(f"band ({low}, {high}) Hz reaches the Nyquist frequency "
                         f"{sfreq / 2:g} Hz of data sampled at {sfreq:g} Hz: choose a "
                         "band below it, or estimates sampled faster")
    return low, high

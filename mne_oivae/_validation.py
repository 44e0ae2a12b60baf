"""Input checks with MNE-style messages, free of MNE so the core can use them."""

import numbers
import operator

import numpy as np


def validate_type(item, types, item_name, type_name=None):
    """Raise TypeError naming the argument, what it got and what it needs."""
    if isinstance(types, str) and types == "int":
        types = (numbers.Integral,)
        type_name = type_name or "int"
    if isinstance(item, bool) and numbers.Integral in _as_tuple(types):
        if bool not in _as_tuple(types):
            raise TypeError(f"{item_name} must be an instance of {type_name}, got bool")
    if not isinstance(item, _as_tuple(types)):
        if type_name is None:
            names = [t.__name__ if t is not None else "None" for t in _as_tuple(types)]
            type_name = " or ".join(names)
        raise TypeError(
            f"{item_name} must be an instance of {type_name}, got {type(item).__name__}"
        )
    return item


def _as_tuple(types):
    types = types if isinstance(types, tuple) else (types,)
    return tuple(type(None) if t is None else t for t in types)


def check_option(name, value, allowed):
    """Raise ValueError if *value* is not one of *allowed*."""
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"Invalid value for the '{name}' parameter. Allowed values are "
                         f"{options}, but got {value!r} instead.")
    return value


def check_int(value, name, minimum=None):
    """Return *value* as int, checking it is an integer and >= *minimum*."""
    validate_type(value, "int", name)
    value = operator.index(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def check_float(value, name, minimum=None, strict=False):
    """Return *value* as float, checking it is a finite real >= (or >) *minimum*."""
    validate_type(value, numbers.Real, name, "float")
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
        raise ValueError(f"{name} must be convertible to a 2D array of floats: {exc}")
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

"""Data in any units: the model sees X divided by one scale learnt at fit.

MEG users hand over amperes-metres (1e-9), teslas (1e-13) or z-scores. The
model's fixed settings (the N(0, prior_scale^2) prior on the generators, the
learning rate, the noise floor, the initialisation) are sized for data of unit
spread, so :class:`~mne_oivae.OIVAE` divides X by its standard deviation
pooled over features before the model sees it, and multiplies back on the way
out. Fits, latent codes and ``group_weights_`` then do not depend on the units,
and log-likelihoods of data multiplied by s shift by exactly
``-n_features * ln(s)`` (the Jacobian of the change of units).

One number for all features, not one per feature: a change of units changes
nothing else. The features keep their relative sizes (sources in one unit: a
weak region stays weak), so ``group_weights_`` still compare groups on the
data's own scale. Z-scoring every feature is a modelling choice (it makes a
feature of pure noise as loud as a strong source) left to the caller
(``stc_to_groups(standardize="features")``, a ``StandardScaler``).
"""

import numpy as np

# rows per float64 temporary: a few MB whatever the data's size
_ROWS = 2**18


def fit_scale(X):
    """The standard deviation of *X* pooled over features, in X's units.

    ``sqrt(mean_j var_j)``, computed in float64 on X divided by its peak
    absolute value, so that no square overflows or underflows whatever the
    units.
    """
    rows = max(1, _ROWS // max(1, X.shape[1]))
    blocks = range(0, X.shape[0], rows)
    peak = float(np.max([np.abs(X[i:i + rows]).max() for i in blocks]))
    if not np.isfinite(peak):  # only data streamed from disk gets here unchecked
        raise ValueError("X holds NaN or infinite values; remove or interpolate them "
                         "before fitting")
    if peak == 0:
        raise ValueError("X is all zeros: there is nothing to model")
    mean = sum(_float64(X[i:i + rows], peak).sum(0) for i in blocks) / X.shape[0]
    sq = sum(((_float64(X[i:i + rows], peak) - mean) ** 2).sum(0) for i in blocks)
    scale = peak * float(np.sqrt(np.mean(sq / X.shape[0])))
    if scale == 0:
        raise ValueError("every feature of X is constant: there is nothing to model")
    return scale


def to_model_units(X, scale):
    """*X* / *scale* as a C-contiguous float32 array (a copy)."""
    out = np.empty(X.shape, np.float32)
    rows = max(1, _ROWS // max(1, X.shape[1]))
    with np.errstate(over="ignore"):  # said below, with the units to check
        for i in range(0, X.shape[0], rows):
            out[i:i + rows] = _float64(X[i:i + rows], scale)
    if not np.isfinite(out).all():
        peak = float(np.abs(X).max())
        raise ValueError(
            f"X reaches {peak:.3g}, {peak / scale:.3g} times the scale of the data the "
            f"model was fitted on (scale_ = {scale:.3g}), beyond float32's range: are X "
            "and the training data in the same units?")
    return out


def to_data_units(x, scale):
    """Model-unit output *x* (a tensor) in the data's units, as float64."""
    return x.cpu().double().numpy() * scale


def log_jacobian(scale, n_features):
    """What the log-density of an observation gains by the change to model units."""
    return -n_features * float(np.log(scale))


def _float64(block, divisor):
    return np.asarray(block, dtype=np.float64) / divisor

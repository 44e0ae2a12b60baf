"""Slow and band-limited time courses, and amplitude envelopes, of regions."""

import numpy as np
from mne.filter import filter_data
from scipy.signal import hilbert

from .._docs import fill_doc
from .._validation import check_band, check_float, check_int


@fill_doc
def amplitude_envelope(X, sfreq, band=None, *, decim=1, epochs=None):
    """Amplitude envelopes of time courses: band-pass, Hilbert amplitude, down-sample.

    Amplitude-envelope networks (Brookes et al. 2011; Hipp et al. 2012) are
    found in how the power of a rhythm, not its phase, co-varies between
    regions. Every column is band-passed (:func:`mne.filter.filter_data`, zero
    phase FIR), its analytic signal's modulus taken (:func:`scipy.signal.hilbert`)
    and, with ``decim > 1``, low-passed below the new Nyquist frequency and
    down-sampled. Epochs are processed one by one (no filter or Hilbert
    transform runs across an epoch boundary).

    Parameters
    ----------
    %(time_courses)s
    band : tuple of float | None
        ``(low, high)`` pass band in Hz, e.g. ``(8, 12)`` for alpha; ``None``
        takes ``X`` as already band-limited.
    decim : int
        Keep every ``decim``-th envelope sample (after an anti-alias low-pass
        at 0.4 times the new sampling frequency).
    epochs : array-like of int, shape (n_samples,) | None
        Epoch of every row (e.g. ``GroupedSource.epochs``); rows of one epoch
        must be contiguous. ``None``: one continuous recording.

    Returns
    -------
    envelope : ndarray of float64, shape (n_out, n_regions)
        The amplitude envelopes.
    epochs : ndarray of int, shape (n_out,)
        Epoch of every envelope row (all 0 when ``epochs`` is None).

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.source import amplitude_envelope
    >>> t = np.arange(2000) / 200.0
    >>> am = (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t)) * np.sin(2 * np.pi * 10 * t)
    >>> env, _ = amplitude_envelope(am[:, None], 200.0, (8, 12), decim=10)
    >>> env.shape
    (200, 1)
    """
    X, sfreq = _time_courses(X, sfreq)
    decim = check_int(decim, "decim", minimum=1)
    if band is not None:
        X = band_pass(X, sfreq, band, epochs=epochs)

    def envelope(x):
        env = np.abs(hilbert(x, axis=0))
        if decim > 1:
            env = filter_data(env.T, sfreq, None, 0.4 * sfreq / decim, verbose=False).T
            env = env[::decim]
        return env

    return _by_epoch(X, epochs, envelope)


@fill_doc
def band_pass(X, sfreq, band, *, epochs=None):
    """Band-limited time courses: MNE's zero-phase FIR band-pass, epoch by epoch.

    The first step of :func:`amplitude_envelope`, for the steps that come
    between it and the envelope (leakage correction with
    :func:`~mne_oivae.source.symmetric_orthogonalize`, as ``stc_to_groups(..., envelope=band,
    orthogonalize=True)`` does) or for methods that take band-limited time
    courses, such as the envelope baselines of :mod:`mne_oivae.baselines`.

    Parameters
    ----------
    %(time_courses)s
    band : tuple of float
        ``(low, high)`` pass band in Hz, below the Nyquist frequency.
    epochs : array-like of int, shape (n_samples,) | None
        Epoch of every row (see :func:`amplitude_envelope`): no filter runs
        across an epoch boundary.

    Returns
    -------
    filtered : ndarray of float64, shape (n_samples, n_regions)
        The band-passed time courses, row for row.

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.source import band_pass
    >>> t = np.arange(1000) / 100.0
    >>> alpha = band_pass(np.c_[np.sin(2 * np.pi * 10 * t) + t], 100.0, (8, 12))
    >>> bool(abs(alpha[200:800, 0].mean()) < 0.01)  # the drift is gone
    True
    """
    X, sfreq = _time_courses(X, sfreq)
    low, high = check_band(band, sfreq)
    return _by_epoch(X, epochs, lambda x: filter_data(x.T, sfreq, low, high, verbose=False).T)[0]


@fill_doc
def low_pass(X, sfreq, h_freq, *, decim=1, epochs=None):
    """Slow time courses: low-pass (MNE's zero-phase FIR) and down-sample, epoch by epoch.

    Parameters
    ----------
    %(time_courses)s
    h_freq : float
        Edge of the pass band in Hz; at most 0.4 times the sampling frequency
        after down-sampling (``sfreq / decim``), so that nothing aliases.
    decim : int
        Keep every ``decim``-th sample of the low-passed time courses.
    epochs : array-like of int, shape (n_samples,) | None
        Epoch of every row (see :func:`amplitude_envelope`).

    Returns
    -------
    slow : ndarray of float64, shape (n_out, n_regions)
        The low-passed, down-sampled time courses.
    epochs : ndarray of int, shape (n_out,)
        Epoch of every kept row (all 0 when ``epochs`` is None).

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.source import low_pass
    >>> t = np.arange(2000) / 100.0
    >>> x = np.sin(2 * np.pi * 0.5 * t) + np.sin(2 * np.pi * 10 * t)
    >>> slow, _ = low_pass(x[:, None], 100.0, 2.0, decim=5)
    >>> slow.shape
    (400, 1)
    """
    X, sfreq = _time_courses(X, sfreq)
    h_freq = check_float(h_freq, "h_freq", minimum=0, strict=True)
    decim = check_int(decim, "decim", minimum=1)
    if h_freq > 0.4 * sfreq / decim:
        raise ValueError(f"a low-pass at {h_freq:g} Hz with decim={decim} aliases: the "
                         f"kept samples come at {sfreq / decim:g} Hz, and the pass band "
                         f"must end at 0.4 times that ({0.4 * sfreq / decim:g} Hz) or "
                         "below; lower decim or the low-pass frequency")
    return _by_epoch(X, epochs, lambda x: filter_data(x.T, sfreq, None, h_freq,
                                                      verbose=False).T[::decim])


def _by_epoch(X, epochs, transform):
    """*transform* of the rows of every epoch, stacked, and the epoch of every output row."""
    pieces, labels = [], []
    for rows in epoch_rows(epochs, X.shape[0]):
        out = transform(X[rows])
        pieces.append(out)
        labels.append(np.full(len(out), 0 if epochs is None else epochs[rows.start]))
    return np.concatenate(pieces), np.concatenate(labels)


def _time_courses(X, sfreq):
    """X as a finite float64 (n_samples, n_regions) array, and sfreq as a positive float."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.isfinite(X).all():
        raise ValueError(f"X must be a finite 2D array (n_samples, n_regions), got shape "
                         f"{X.shape}")
    return X, check_float(sfreq, "sfreq", minimum=0, strict=True)


def epoch_rows(epochs, n_samples):
    """One slice of rows per epoch; the rows of every epoch must be contiguous."""
    if epochs is None:
        return [slice(0, n_samples)]
    epochs = np.asarray(epochs)
    if epochs.shape != (n_samples,):
        raise ValueError(f"epochs must give one epoch index per row of X ({n_samples}), "
                         f"got shape {epochs.shape}")
    bounds = np.flatnonzero(np.r_[True, epochs[1:] != epochs[:-1], True])
    if len(bounds) - 1 != len(np.unique(epochs)):
        raise ValueError("the rows of every epoch must be contiguous in X")
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

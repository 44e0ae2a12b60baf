"""Per-channel min-max scaling fitted on training trials and reused on test trials."""

import numpy as np

from .._validation import check_data, check_float


class ChannelScaler:
    """Scale every channel to [0, 1] with the range seen during :meth:`fit`.

    The paper normalises the joint angles this way; fitting on the training
    trials and reusing the fitted scaler on test trials keeps both on one scale
    (test values outside the training range map outside [0, 1], they are not
    clipped). A channel that is constant during training (CMU's fingers often
    are) maps to 0 and comes back unchanged from :meth:`inverse_transform`.

    Parameters
    ----------
    min_range : float
        Smallest range divided by, in the data's units (the reference
        implementation uses 0.1 degree). Channels that are constant up to
        rounding are then not blown up to [0, 1]: in CMU subject 7's walks the
        clavicles vary by 2e-13 degrees and the fingers by 2e-5 (7.125 vs
        7.12502), which a plain min-max scaling turns into the noisiest
        channels of the data set (the fingers into 0/1 noise with standard
        deviation 0.5). ``0`` divides by the exact range (1 for constant
        channels).

    Attributes
    ----------
    data_min_ : ndarray, shape (n_channels,)
        Per-channel minimum of the training data.
    data_max_ : ndarray, shape (n_channels,)
        Per-channel maximum of the training data.
    scale_ : ndarray, shape (n_channels,)
        ``max(data_max_ - data_min_, min_range)``, with 1 where that is 0.
    channel_names_ : list of str | None
        The channel names given to :meth:`fit`; :func:`mne_oivae.viz.plot_poses`
        uses them to place model samples on the skeleton.

    Examples
    --------
    >>> import numpy as np
    >>> from mne_oivae.mocap import ChannelScaler
    >>> scaler = ChannelScaler().fit(np.array([[0., 5.], [10., 5.]]))
    >>> scaler.transform(np.array([[5., 5.]]))
    array([[0.5, 0. ]])
    """

    def __init__(self, min_range=0.0):
        self.min_range = min_range

    def fit(self, X, channel_names=None):
        """Learn the per-channel range.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_channels)
            Training data.
        channel_names : list of str | None
            One name per column, kept as ``channel_names_``.

        Returns
        -------
        self : ChannelScaler
        """
        min_range = check_float(self.min_range, "min_range", minimum=0)
        X = check_data(X)
        if channel_names is not None:
            channel_names = [str(name) for name in channel_names]
            if len(channel_names) != X.shape[1]:
                raise ValueError(f"channel_names has {len(channel_names)} entries but X "
                                 f"has {X.shape[1]} columns")
        self.data_min_ = X.min(axis=0)
        self.data_max_ = X.max(axis=0)
        span = np.maximum(self.data_max_ - self.data_min_, min_range)
        self.scale_ = np.where(span > 0, span, 1.0)
        self.channel_names_ = channel_names
        return self

    def fit_transform(self, X, channel_names=None):
        """Fit to *X*, then transform it (see :meth:`fit` for the parameters)."""
        return self.fit(X, channel_names).transform(X)

    def transform(self, X):
        """Map *X* to the training range's [0, 1] scale.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_channels)

        Returns
        -------
        X_scaled : ndarray of float64, shape (n_samples, n_channels)
        """
        return (self._check(X) - self.data_min_) / self.scale_

    def inverse_transform(self, X):
        """Map scaled data (e.g. model samples) back to the original units.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_channels)

        Returns
        -------
        X_orig : ndarray of float64, shape (n_samples, n_channels)
        """
        return self._check(X) * self.scale_ + self.data_min_

    def _check(self, X):
        if not hasattr(self, "scale_"):
            raise RuntimeError("This ChannelScaler is not fitted yet; call fit(X) first")
        return check_data(X, n_features=self.scale_.size).astype(np.float64, copy=False)

    def __repr__(self):
        if not hasattr(self, "scale_"):
            return "<ChannelScaler | not fitted>"
        n_const = int((self.data_max_ - self.data_min_ <= self.min_range).sum())
        return f"<ChannelScaler | {self.scale_.size} channels, {n_const} constant>"

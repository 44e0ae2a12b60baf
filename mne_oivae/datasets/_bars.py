"""The bars data of the oi-VAE paper (Sec. 6.1)."""

import numpy as np

from .._validation import check_float, check_int
from ..groups import GroupSpec


def make_bars(n_samples=2048, size=8, noise=0.05, intensity=0.5, random_state=None):
    """Images with one randomly chosen row shaded, plus Gaussian noise.

    The paper's synthetic benchmark (Ainsworth et al., 2018, Sec. 6.1): every
    ``size x size`` image has one row, chosen uniformly, set to ``intensity``
    (0.5 as in the reference code), all other pixels 0, then i.i.d.
    ``N(0, noise^2)`` noise. Groups are the image rows, so a good oi-VAE fit
    dedicates one latent component to each row.

    Parameters
    ----------
    n_samples : int
        Number of images.
    size : int
        Image height and width (also the number of groups).
    noise : float
        Standard deviation of the additive Gaussian noise.
    intensity : float
        Value of the shaded row.
    random_state : None | int | numpy.random.Generator
        Seed.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, size * size)
        Row-major flattened images.
    groups : GroupSpec
        ``size`` groups named ``"row 0"``, ``"row 1"``, ...: the pixels of each row.

    Examples
    --------
    >>> from mne_oivae.datasets import make_bars
    >>> X, groups = make_bars(n_samples=4, random_state=0)
    >>> X.shape, groups.n_groups
    ((4, 64), 8)
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    size = check_int(size, "size", minimum=1)
    noise = check_float(noise, "noise", minimum=0)
    intensity = check_float(intensity, "intensity")
    rng = np.random.default_rng(random_state)
    rows = rng.integers(size, size=n_samples)
    images = np.zeros((n_samples, size, size), dtype=np.float32)
    images[np.arange(n_samples), rows, :] = intensity
    X = images.reshape(n_samples, -1) + noise * rng.standard_normal(
        (n_samples, size * size), dtype=np.float32)
    groups = GroupSpec.from_sizes([size] * size, names=[f"row {i}" for i in range(size)])
    return X, groups

"""How the latent source of a planted network drives each of its regions.

Shared by the region-level simulation (:func:`~mne_oivae.datasets.simulate_networks`)
and the sensor-level one, so that both plant the same kinds of networks.

- ``"monotone"``: every region follows a random monotone-ish bend of the
  latent (tanh, softplus or a mild quadratic). Regions of one network are
  strongly correlated, so linear methods can group them.
- ``"nonlinear"``: the first region of a network follows the latent itself,
  the others follow different smooth functions of it (squares, sines,
  cosines, cubes, absolute values), Gram-Schmidt orthogonalised within the
  network. The regions are fully dependent (deterministic functions of one
  source) but linearly uncorrelated in the sample, so no covariance-based
  method can group them; a model with nonlinear generators can.
"""

import numpy as np

COUPLINGS = ("monotone", "nonlinear")

# Smooth functions of a standard normal source; the linear one always comes first.
_NONLINEAR_POOL = (
    lambda z: z ** 2,
    lambda z: np.sin(2.0 * z),
    lambda z: np.cos(2.0 * z),
    lambda z: np.abs(z),
    lambda z: z ** 3,
)


def network_drives(latent, true_sets, n_regions, coupling, rng):
    """The part of every region's activity that the networks' latents drive.

    Parameters
    ----------
    latent : ndarray, shape (n_samples, n_networks)
        The latent source of every network.
    true_sets : list of ndarray of int
        Regions of every network (indices < *n_regions*); a region may be in
        several networks, whose drives then add up.
    n_regions : int
        Number of regions.
    coupling : ``"monotone"`` | ``"nonlinear"``
        See the module docstring.
    rng : numpy.random.Generator
        Source of the random maps, gains and signs.

    Returns
    -------
    drives : ndarray, shape (n_samples, n_regions)
        Unit-variance drive (times a gain in [0.7, 1.3] and a random sign) of
        every region of every network, zero elsewhere.
    """
    drives = np.zeros((latent.shape[0], n_regions))
    for k, members in enumerate(true_sets):
        if coupling == "monotone":
            maps = [_monotone_map(latent[:, k], rng) for _ in members]
        else:
            maps = _uncorrelated_maps(latent[:, k], len(members), rng)
        for r, y in zip(members, maps):
            drives[:, r] += y
    return drives


def _monotone_map(z, rng):
    """One random bend of a latent source, standardised, with gain and sign."""
    b, c = rng.uniform(1.0, 2.5), rng.uniform(-0.5, 0.5)
    kind = rng.integers(3)
    if kind == 0:
        y = np.tanh(b * z + c)
    elif kind == 1:
        y = np.logaddexp(0.0, b * z + c)
    else:
        y = z + 0.2 * b * (z + c) ** 2
    return _gain_and_sign(_standardise(y), rng)


def _uncorrelated_maps(z, n_maps, rng):
    """*n_maps* functions of *z*: z itself, then pool functions orthogonalised."""
    pool = rng.permutation(len(_NONLINEAR_POOL))
    basis = [_standardise(z)]
    for i in range(n_maps - 1):
        y = _NONLINEAR_POOL[pool[i % len(pool)]](z)
        y = y - y.mean()
        for b in basis:
            y = y - (y @ b) / (b @ b) * b
        basis.append(_standardise(y))
    return [_gain_and_sign(y, rng) for y in basis]


def _standardise(y):
    return (y - y.mean()) / y.std()


def _gain_and_sign(y, rng):
    return rng.choice([-1.0, 1.0]) * rng.uniform(0.7, 1.3) * y

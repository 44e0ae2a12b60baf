"""Planted functional networks on fsaverage: ground truth for source-space oi-VAE."""

from dataclasses import dataclass, field

import mne
import numpy as np
from mne.utils import _check_option, logger, _validate_type, verbose

from .._docs import fill_doc
from .._validation import check_float, check_int
from ..source import read_hcpmmp1_labels
from ._couplings import COUPLINGS, network_drives

DEFAULT_NETWORKS = {
    "visual": ("Primary Visual Cortex (V1)-lh", "Primary Visual Cortex (V1)-rh",
               "Early Visual Cortex-lh", "Early Visual Cortex-rh"),
    "auditory": ("Early Auditory Cortex-lh", "Early Auditory Cortex-rh",
                 "Auditory Association Cortex-lh", "Auditory Association Cortex-rh"),
    "sensorimotor": ("Somatosensory and Motor Cortex-lh",
                     "Somatosensory and Motor Cortex-rh", "Premotor Cortex-lh",
                     "Premotor Cortex-rh",
                     "Paracentral Lobular and Mid Cingulate Cortex-lh"),
    "frontoparietal": ("DorsoLateral Prefrontal Cortex-lh",
                       "DorsoLateral Prefrontal Cortex-rh", "Inferior Parietal Cortex-lh",
                       "Inferior Parietal Cortex-rh", "Superior Parietal Cortex-rh"),
}
_AMPLITUDE = 1e-9  # Am: typical cortical source amplitude, so standardisation matters


@dataclass(eq=False)
class SimulatedNetworks:
    """Source estimates with planted networks, and the truth behind them.

    Attributes
    ----------
    stcs : list of mne.SourceEstimate
        One estimate per epoch, subject ``"fsaverage"``.
    labels : list of mne.Label
        The HCP-MMP1 combined regions (without the medial wall).
    networks : dict of str to tuple of str
        Network name -> names of the regions its latent source drives.
    true_sets : list of ndarray of int
        The same networks as indices into ``labels`` (the groups of
        :func:`mne_oivae.stc_to_groups`), for
        :func:`mne_oivae.metrics.network_recovery_f1`.
    latent : ndarray, shape (n_samples, n_networks)
        The latent source of every network at every time point.
    src : mne.SourceSpaces
        The fsaverage source space of the estimates.

    Examples
    --------
    See :ref:`sphx_glr_auto_tutorials_plot_meg_networks.py`.
    """

    stcs: list = field(repr=False)
    labels: list = field(repr=False)
    networks: dict
    true_sets: list = field(repr=False)
    latent: np.ndarray = field(repr=False)
    src: mne.SourceSpaces = field(repr=False)


@verbose
@fill_doc
def simulate_networks(networks=None, *, n_epochs=20, n_times=100, sfreq=100.0,
                      spacing="ico3", background=0.5, noise=1.0, coupling="monotone",
                      subjects_dir=None, accept=False, random_state=None, verbose=None):
    """Simulate cortical activity driven by a known set of functional networks.

    Every network k has a latent source ``z_k ~ N(0, 1)``, independent over
    time points (the observations of oi-VAE). It drives each of its regions r
    through its own map ``f_kr``, standardised, with random gain and sign:
    with ``coupling="monotone"`` a random tanh, softplus or quadratic bend
    (regions of a network are correlated); with ``coupling="nonlinear"`` the
    latent itself for the first region and, for the others, different smooth
    functions of it (squares, sines, cubes...) orthogonalised so that the
    regions are dependent but linearly uncorrelated. The activity of
    region r is ``sum_k f_kr(z_k)`` plus Gaussian background activity of
    standard deviation ``background``, present in all regions; every source
    vertex of r carries it with a random gain in [0.5, 1.5] and the sign of its
    surface normal (as :func:`mne.label_sign_flip` defines it), plus white
    sensor-like noise of standard deviation ``noise``. Amplitudes are scaled to
    1e-9 Am.

    Parameters
    ----------
    networks : dict of str to list of str | None
        Network name -> HCP-MMP1 combined region names (with ``-lh``/``-rh``
        suffixes). ``None`` plants four networks (visual, auditory,
        sensorimotor, frontoparietal) over 18 of the 44 regions.
    n_epochs, n_times : int
        Number of source estimates and time points in each.
    sfreq : float
        Sampling frequency of the estimates in Hz.
    spacing : str
        fsaverage source space, ``"ico3"`` (default, 1284 vertices) to
        ``"ico5"``; see :func:`mne.setup_source_space`.
    background : float
        Standard deviation of each region's background activity, relative to a
        unit-variance network drive.
    noise : float
        Standard deviation of the per-vertex white noise, same unit.
    coupling : ``"monotone"`` | ``"nonlinear"``
        How a network's latent drives its regions (see above).
    subjects_dir : path-like | None
        Subjects directory with ``fsaverage`` (:func:`mne.datasets.fetch_fsaverage`
        provides it); the HCP-MMP1 labels are fetched into it if missing.
    %(accept_hcpmmp1)s
    random_state : int | numpy.random.Generator | None
        Seed of the simulation.
    %(verbose)s

    Returns
    -------
    sim : SimulatedNetworks
        ``sim.stcs``, ``sim.labels``, ``sim.src`` feed
        :func:`mne_oivae.stc_to_groups`; ``sim.true_sets`` is the truth.

    Examples
    --------
    >>> sim = simulate_networks(subjects_dir=subjects_dir, random_state=0)  # doctest: +SKIP
    >>> grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src)  # doctest: +SKIP
    """
    n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
    n_times = check_int(n_times, "n_times", minimum=1)
    sfreq = check_float(sfreq, "sfreq", minimum=0, strict=True)
    background = check_float(background, "background", minimum=0)
    noise = check_float(noise, "noise", minimum=0)
    _check_option("coupling", coupling, COUPLINGS)
    rng = np.random.default_rng(random_state)
    labels = read_hcpmmp1_labels(subjects_dir, accept=accept, verbose=False)
    src = mne.setup_source_space("fsaverage", spacing=spacing, subjects_dir=subjects_dir,
                                 add_dist=False, verbose=False)
    networks = check_networks(networks, [label.name for label in labels])
    names = [label.name for label in labels]
    true_sets = [np.array([names.index(r) for r in regions]) for regions in
                 networks.values()]

    n_samples = n_epochs * n_times
    latent = rng.standard_normal((n_samples, len(networks)))
    region = background * rng.standard_normal((n_samples, len(labels)))
    region += network_drives(latent, true_sets, len(labels), coupling, rng)

    vertices = [s["vertno"].copy() for s in src]
    offsets = {"lh": 0, "rh": len(vertices[0])}
    data = noise * rng.standard_normal((sum(map(len, vertices)), n_samples))
    for r, label in enumerate(labels):
        rows = offsets[label.hemi] + np.flatnonzero(
            np.isin(vertices[label.hemi == "rh"], label.vertices))
        gain = mne.label_sign_flip(label, src) * rng.uniform(0.5, 1.5, rows.size)
        data[rows] += gain[:, np.newaxis] * region[:, r]
    data *= _AMPLITUDE
    stcs = [mne.SourceEstimate(data[:, e * n_times:(e + 1) * n_times], vertices,
                               tmin=0.0, tstep=1.0 / sfreq, subject="fsaverage")
            for e in range(n_epochs)]
    logger.info(f"Simulated {len(networks)} networks over {len(labels)} regions: "
                f"{n_epochs} epochs x {n_times} time points")
    return SimulatedNetworks(stcs=stcs, labels=labels, networks=networks,
                             true_sets=true_sets, latent=latent, src=src)


def check_networks(networks, names):
    if networks is None:
        return dict(DEFAULT_NETWORKS)
    _validate_type(networks, dict, "networks", "dict of network name to region names")
    if not networks:
        raise ValueError("networks is empty; give at least one network")
    checked = {}
    for key, regions in networks.items():
        regions = (regions,) if isinstance(regions, str) else tuple(regions)
        unknown = [r for r in regions if r not in names]
        if unknown or not regions:
            raise ValueError(f"networks[{key!r}] must list HCP-MMP1 combined region "
                             f"names, got unknown {unknown or 'nothing'}; known names "
                             f"are e.g. {names[:2]}")
        checked[str(key)] = regions
    return checked

"""Planted rhythmic networks seen through sensors: forward model, noise, inverse."""

import warnings
from dataclasses import dataclass, field

import mne
import numpy as np
from mne.utils import _check_option, logger, _validate_type, verbose
from scipy.ndimage import gaussian_filter1d

from .._docs import fill_doc
from .._validation import check_band, check_float, check_int
from ..source import read_hcpmmp1_labels
from ._couplings import COUPLINGS, network_drives
from ._networks import check_networks
from ._sensor_files import sample_file
from ._sensor_forward import check_forward_src, make_fsaverage_forward

SENSORS = ("meg", "eeg")
NOISE = ("sample", "empty-room")
INVERSE_METHODS = ("dSPM", "eLORETA", "MNE", "sLORETA", "LCMV")
_LCMV_REG = 0.05  # MNE's default regularisation of the data covariance
_AMPLITUDE = 1e-9  # Am per source point


@dataclass(eq=False)
class SimulatedRecording:
    """A simulated MEG or EEG recording of planted networks, and its source estimates.

    Attributes
    ----------
    raw : mne.io.RawArray
        The sensor data (signal through the forward model plus real noise).
    epochs : mne.Epochs
        ``raw`` cut into consecutive epochs.
    stcs : list of mne.SourceEstimate
        Inverse solution of every epoch (fixed orientation, signed).
    labels : list of mne.Label
        The HCP-MMP1 combined regions with at least one source point.
    networks : dict of str to tuple of str
        Network name -> its regions.
    true_sets : list of ndarray of int
        The networks as indices into ``labels``, for
        :func:`mne_oivae.metrics.network_recovery_f1`.
    latent : ndarray, shape (n_samples, n_networks)
        The slowly varying latent source of every network.
    activity : ndarray, shape (n_samples, n_regions)
        The true activity of every region (before the forward model).
    band : tuple of float
        The band of the rhythms, for ``stc_to_groups(..., envelope=band)``.
    src : mne.SourceSpaces
        The source space of ``stcs`` (``fwd["src"]``).
    fwd : mne.Forward
        The forward model (surface orientation; the simulation uses its
        fixed-orientation version).
    inv : mne.minimum_norm.InverseOperator | mne.beamformer.Beamformer
        The inverse operator of ``stcs`` (the spatial filters with
        ``method="LCMV"``).

    Examples
    --------
    >>> sim = simulate_recording(sensors="eeg", subjects_dir=subjects_dir)  # doctest: +SKIP
    >>> sim.true_sets  # doctest: +SKIP
    [array([ 0, 23,  1, 24]), array([ 9, 32, 10, 33]), ...]
    """

    raw: mne.io.BaseRaw = field(repr=False)
    epochs: mne.BaseEpochs = field(repr=False)
    stcs: list = field(repr=False)
    labels: list = field(repr=False)
    networks: dict
    true_sets: list = field(repr=False)
    latent: np.ndarray = field(repr=False)
    activity: np.ndarray = field(repr=False)
    band: tuple
    src: mne.SourceSpaces = field(repr=False)
    fwd: mne.Forward = field(repr=False)
    inv: object = field(repr=False)


@verbose
@fill_doc
def simulate_recording(networks=None, *, sensors="meg", coupling="monotone",
                       n_epochs=10, epoch_duration=4.0, sfreq=100.0, band=(8.0, 12.0),
                       timescale=0.25, background=0.5, modulation=0.4, outside_amplitude=1.0,
                       snr=1.0, noise_cov="sample", info=None, method="dSPM", spacing="ico4",
                       fwd=None, subjects_dir=None, data_path=None, cache_dir=None,
                       accept=False, random_state=None, verbose=None):
    """Simulate a MEG or EEG recording of planted rhythmic networks and invert it.

    The sibling of :func:`simulate_networks` through the physics, with MNE's
    own functions. Every network k has a slowly varying latent source ``z_k``
    (Gaussian white noise smoothed over ``timescale`` seconds, standard normal
    at every time point), which drives each of its regions r through the maps
    of :func:`simulate_networks` (``coupling``); every region also has its own
    slowly varying background activity of standard deviation ``background``.
    The sum ``d_r`` sets the region's activity::

        x_r(t) = d_r(t) + a_r exp(m d_r(t)) cos(2 pi f_r t + phi_r(t))

    a slow component plus a rhythm in ``band`` (frequency ``f_r`` drawn in the
    band's middle half, a slowly drifting phase ``phi_r``, independent between
    regions) whose amplitude envelope follows ``d_r``; ``a_r`` is 1 in the
    networks' regions and ``outside_amplitude`` in the others. Regions of a
    network are thus coupled in their slow activity and in their amplitude
    envelopes, not in the phase of their rhythms. Each region's activity is
    carried by all its source points (1 nAm each), along the surface normal
    with the sign of :func:`mne.label_sign_flip` (as in
    :func:`simulate_networks`), and then:

    1. :class:`mne.simulation.SourceSimulator` and
       :func:`mne.apply_forward_raw` project it through the forward model of
       :func:`make_fsaverage_forward` (cached on disk), as
       :func:`mne.simulation.simulate_raw` does for a head that does not move
       (in a fraction of its time and memory);
    2. :func:`mne.simulation.add_noise` adds real sensor noise: the noise
       covariance of MNE's sample recording (``"sample"``) or an empty-room
       one (``"empty-room"``), scaled so that the whitened signal power is
       ``snr`` times the noise power;
    3. the recording is cut into ``n_epochs`` epochs
       (:func:`mne.make_fixed_length_epochs`) and inverted with
       :func:`mne.minimum_norm.make_inverse_operator` (fixed orientation) and
       :func:`mne.minimum_norm.apply_inverse_epochs` (``method``,
       ``lambda2 = 1 / snr``), or with an LCMV beamformer
       (``method="LCMV"``: :func:`mne.beamformer.make_lcmv` on the epochs'
       data covariance (``reg=0.05``), with the noise covariance for
       whitening, unit-noise-gain weights along the surface normal, and
       :func:`mne.beamformer.apply_lcmv_epochs`), as envelope-network studies
       of resting-state MEG do (Brookes et al. 2011; Colclough et al. 2015).

    The estimates have what real ones have: leakage of every region into its
    neighbours, sensor noise, a template head.

    Parameters
    ----------
    networks : dict of str to list of str | int | None
        Network name -> HCP-MMP1 combined region names, as for
        :func:`simulate_networks` (``None``: its four default networks); an
        int n plants n random networks of 3 and 4 regions (alternately), no
        region in two, among the regions with source points.
    sensors : ``"meg"`` | ``"eeg"``
        The 306 MEG channels (Vectorview) or the 60 EEG channels of MNE's
        sample recording (``test-ave.fif.gz``, real sensor positions).
    coupling : ``"monotone"`` | ``"nonlinear"``
        How a network's latent drives its regions (see :func:`simulate_networks`).
    n_epochs : int
        Number of epochs.
    epoch_duration : float
        Length of every epoch in seconds.
    sfreq : float
        Sampling frequency in Hz.
    band : tuple of float
        ``(low, high)`` band of the rhythms in Hz (alpha by default).
    timescale : float
        Standard deviation in seconds of the Gaussian that smooths the latent
        and background sources (they vary over about a second).
    background : float
        Standard deviation of every region's own slow activity, relative to a
        unit-variance network drive.
    modulation : float
        ``m`` above, the depth of the envelopes' modulation: the log-amplitude
        of a region's rhythm per unit of its drive. At 0.4 (default) the
        envelope of a network region swings by a factor of about 1.5 either
        way (one standard deviation); at 1 by about 3. Deeper swings do not
        make a network easier to see in the estimates: the regions whose
        envelope is large at a time leak into all others (see the physics
        page). With ``coupling="nonlinear"`` the drives are heavy-tailed (a
        standardised cube of the latent passes 15 standard deviations in a
        10-minute recording), and so are the envelopes: at 0.4 the largest
        bursts of 10-minute MEG recordings were 430-2,970 times a region's
        typical amplitude (seeds 0-2).
    outside_amplitude : float
        ``a_r`` above for the regions in no network: the amplitude of their
        rhythms relative to the networks' regions'. At 1 (default) every
        region is equally rhythmic; smaller values let the networks' rhythms
        stand out, as posterior alpha does at rest. Even at 0.1 the networks
        stay hard to see in the estimates, because the networks' regions leak
        into each other (see the physics page).
    snr : float
        Whitened signal power over noise power in the sensors.
    noise_cov : ``"sample"`` | ``"empty-room"`` | mne.Covariance
        The sensor noise (a covariance with the sensors' channels).
    info : mne.Info | None
        Another sensor array (its MEG and EEG channels, with positions);
        ``None``: the sample recording's (``sensors``).
    method : ``"dSPM"`` | ``"eLORETA"`` | ``"MNE"`` | ``"sLORETA"`` | ``"LCMV"``
        The inverse method: a minimum-norm estimate or an LCMV beamformer.
        With the MEG sensors the beamformer follows the network regions'
        envelopes more closely than dSPM (see the physics page).
    spacing : str
        fsaverage source space (``"ico4"``: 5,124 sources; ``"ico3"`` for
        quick tests).
    fwd : mne.Forward | None
        A forward model to use instead of :func:`make_fsaverage_forward`; it
        must be on the fsaverage source space of ``spacing`` and cover the
        info's channels.
    subjects_dir : path-like | None
        Subjects directory with fsaverage (``None``: ``SUBJECTS_DIR``).
    data_path : path-like | None
        Folder with the sample recording's files (``test-ave.fif.gz``,
        ``sample_audvis-cov.fif``, ``test_erm-cov.fif``); ``None`` looks in
        ``$MNE_OIVAE_SHARED_DATA/mne_testing/meg``, MNE's testing data set
        and the cache, and downloads them there.
    cache_dir : path-like | None
        Cache of forward models and downloads (see
        :func:`make_fsaverage_forward`).
    %(accept_hcpmmp1)s
    random_state : int | None
        Seed of the simulation.
    %(verbose)s

    Returns
    -------
    sim : SimulatedRecording
        ``sim.stcs``, ``sim.labels``, ``sim.src`` feed
        :func:`mne_oivae.stc_to_groups` (e.g. with ``envelope=sim.band``);
        ``sim.true_sets`` is the truth.

    Examples
    --------
    >>> sim = simulate_recording(sensors="meg", coupling="nonlinear",
    ...                          subjects_dir=subjects_dir, random_state=0)  # doctest: +SKIP
    >>> grouped = stc_to_groups(sim.stcs, sim.labels, src=sim.src, orthogonalize=True,
    ...                         envelope=sim.band, decim=5)  # doctest: +SKIP
    """
    _check_option("sensors", sensors, SENSORS)
    _check_option("coupling", coupling, COUPLINGS)
    _check_option("method", method, INVERSE_METHODS)
    n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
    epoch_duration = check_float(epoch_duration, "epoch_duration", minimum=0, strict=True)
    sfreq = check_float(sfreq, "sfreq", minimum=0, strict=True)
    band = check_band(band, sfreq)
    timescale = check_float(timescale, "timescale", minimum=0, strict=True)
    background = check_float(background, "background", minimum=0)
    modulation = check_float(modulation, "modulation", minimum=0)
    outside_amplitude = check_float(outside_amplitude, "outside_amplitude", minimum=0)
    snr = check_float(snr, "snr", minimum=0, strict=True)
    rng = np.random.default_rng(random_state)

    info = _sensor_info(info, sensors, sfreq, data_path, cache_dir)
    cov = _noise_cov(noise_cov, info, data_path, cache_dir)
    if fwd is None:
        fwd = make_fsaverage_forward(info, spacing=spacing, subjects_dir=subjects_dir,
                                     cache_dir=cache_dir, verbose=False)
    else:
        check_forward_src(fwd, mne.setup_source_space(
            "fsaverage", spacing=spacing, subjects_dir=subjects_dir, add_dist=False,
            verbose=False))
        missing = sorted(set(info.ch_names) - set(fwd.ch_names))
        if missing:
            raise ValueError(f"fwd lacks {len(missing)} channel(s) of the info, e.g. "
                             f"{missing[0]!r}; compute it for these sensors")
    fwd = mne.pick_channels_forward(fwd, info.ch_names, ordered=True, verbose=False)
    fwd = mne.convert_forward_solution(fwd, surf_ori=True, use_cps=True, verbose=False)
    fixed = mne.convert_forward_solution(fwd, surf_ori=True, force_fixed=True,
                                         use_cps=True, verbose=False)
    src = fwd["src"]

    labels = read_hcpmmp1_labels(subjects_dir, accept=accept, verbose=False)
    patches = [_patches(label, src) for label in labels]
    empty = {label.name for label, p in zip(labels, patches) if not p}
    labels = [label for label, p in zip(labels, patches) if p]
    patches = [p for p in patches if p]
    names = [label.name for label in labels]
    if isinstance(networks, (int, np.integer)) and not isinstance(networks, bool):
        networks = _random_networks(names, check_int(networks, "networks", minimum=1), rng)
    networks = check_networks(networks, names + sorted(empty))
    outside = sorted(empty.intersection(r for regions in networks.values() for r in regions))
    if outside:
        raise ValueError(f"region(s) {outside} have no source point in the forward model "
                         "(the sphere model of EEG drops sources near its boundary); "
                         "plant the networks in other regions")
    true_sets = [np.array([names.index(r) for r in regions]) for regions in
                 networks.values()]

    n_times = int(round(epoch_duration * sfreq))
    n_samples = n_epochs * n_times
    latent = _slow(rng, (n_samples, len(networks)), timescale * sfreq)
    drive = background * _slow(rng, (n_samples, len(labels)), timescale * sfreq)
    drive += network_drives(latent, true_sets, len(labels), coupling, rng)
    amplitude = np.full(len(labels), outside_amplitude)
    amplitude[np.concatenate(true_sets)] = 1.0
    activity = drive + amplitude * np.exp(modulation * drive) * _rhythms(
        rng, n_samples, len(labels), sfreq, band)

    simulator = mne.simulation.SourceSimulator(src, tstep=1.0 / sfreq)
    for halves, waveform in zip(patches, activity.T):
        for sign, half in halves:
            simulator.add_data(half, sign * _AMPLITUDE * waveform, np.array([[0, 0, 1]]))
    raw = _project(simulator, fixed, info)
    mne.simulation.add_noise(raw, _scaled(cov, raw, snr), rng=rng, verbose=False)
    has_ref = any(p["desc"].startswith("Average EEG reference") for p in info["projs"])
    if len(mne.pick_types(info, meg=False, eeg=True)) and not has_ref:
        raw.set_eeg_reference(projection=True, verbose=False)
    epochs = mne.make_fixed_length_epochs(raw, duration=epoch_duration, preload=True,
                                          verbose=False)
    epochs.apply_proj()
    inv, stcs = _invert(epochs, fwd, cov, method, snr)
    for stc in stcs:
        stc.subject = "fsaverage"
    logger.info(f"Simulated {len(networks)} {coupling} networks over {len(labels)} "
                f"regions through {len(info.ch_names)} {sensors.upper()} channels: "
                f"{n_epochs} epochs x {n_times} time points, {method} estimates")
    return SimulatedRecording(raw=raw, epochs=epochs, stcs=stcs, labels=labels,
                              networks=networks, true_sets=true_sets, latent=latent,
                              activity=activity[:len(epochs) * n_times], band=band,
                              src=src, fwd=fwd, inv=inv)


def _project(simulator, fixed, info):
    """The sensor recording of *simulator*'s sources through the forward model *fixed*.

    What :func:`mne.simulation.simulate_raw` returns for a head that does not
    move, one chunk of the simulator at a time. ``simulate_raw`` holds a copy
    of the gain matrix for every time point of a chunk (306 MEG channels x
    5,124 ico-4 sources x 1,000 samples: 12 GB) and multiplies it out element
    by element; :func:`mne.apply_forward_raw` multiplies the gain matrix once.
    """
    with warnings.catch_warnings():  # the noise is scaled to snr: no current is too large
        warnings.filterwarnings("ignore", "The maximum current magnitude", RuntimeWarning)
        data = [mne.apply_forward_raw(fixed, stc, info, verbose=False).get_data()
                for stc, _ in simulator]
    return mne.io.RawArray(np.concatenate(data, axis=1), info, verbose=False)


def _invert(epochs, fwd, cov, method, snr):
    """The inverse operator (or beamformer) and the source estimate of every epoch."""
    if method == "LCMV":
        data_cov = mne.compute_covariance(epochs, keep_sample_mean=False, verbose=False)
        filters = mne.beamformer.make_lcmv(epochs.info, fwd, data_cov, reg=_LCMV_REG,
                                           noise_cov=cov, pick_ori="normal",
                                           weight_norm="unit-noise-gain", verbose=False)
        return filters, mne.beamformer.apply_lcmv_epochs(epochs, filters, verbose=False)
    inv = mne.minimum_norm.make_inverse_operator(epochs.info, fwd, cov, loose=0.0,
                                                 fixed=True, verbose=False)
    return inv, mne.minimum_norm.apply_inverse_epochs(epochs, inv, 1.0 / snr, method=method,
                                                      verbose=False)


def _random_networks(names, n_networks, rng):
    sizes = [3 + k % 2 for k in range(n_networks)]
    if sum(sizes) > len(names):
        raise ValueError(f"{n_networks} networks of 3-4 regions need {sum(sizes)} "
                         f"regions, there are {len(names)}")
    order = rng.permutation(len(names))
    bounds = np.cumsum([0] + sizes)
    return {f"network {k}": [names[i] for i in order[a:b]]
            for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))}


def _sensor_info(info, sensors, sfreq, data_path, cache_dir):
    if info is None:
        info = mne.io.read_info(sample_file("test-ave.fif.gz", data_path, cache_dir),
                                verbose=False)
        picks = mne.pick_types(info, meg=sensors == "meg", eeg=sensors == "eeg",
                               exclude="bads")
    else:
        _validate_type(info, mne.Info, "info")
        picks = mne.pick_types(info, meg=True, eeg=True, ref_meg=False, exclude="bads")
    info = mne.pick_info(info, picks, verbose=False)
    with info._unlock():  # a simulation at its own rate: no public setter for sfreq
        info["sfreq"] = sfreq
        info["lowpass"] = sfreq / 2.0
        info["highpass"] = 0.0
    return info


def _noise_cov(noise_cov, info, data_path, cache_dir):
    if isinstance(noise_cov, str):
        _check_option("noise_cov", noise_cov, NOISE)
        name = "sample_audvis-cov.fif" if noise_cov == "sample" else "test_erm-cov.fif"
        noise_cov = mne.read_cov(sample_file(name, data_path, cache_dir), verbose=False)
    _validate_type(noise_cov, mne.Covariance, "noise_cov")
    missing = sorted(set(info.ch_names) - set(noise_cov.ch_names))
    if missing:
        raise ValueError(f"noise_cov lacks {len(missing)} channel(s) of the sensors, e.g. "
                         f"{missing[0]!r}; pass a covariance of these sensors")
    return noise_cov.copy().pick_channels(info.ch_names, ordered=True, verbose=False)


def _scaled(cov, raw, snr):
    """*cov* scaled so that the whitened signal power of *raw* is *snr* times the noise's."""
    whitener, _ = mne.cov.compute_whitener(cov, raw.info, verbose=False)
    signal = np.mean((whitener @ raw.get_data()) ** 2)
    noise = np.trace(whitener @ cov.data @ whitener.T) / whitener.shape[0]
    scaled = cov.copy()
    scaled["data"] = cov.data * signal / (snr * noise)
    return scaled


def _patches(label, src):
    """The label's source points split by the sign of :func:`mne.label_sign_flip`.

    Returns (sign, Label) pairs (none when the label has no source point), so
    that a region's currents all point the same way, as ``mode="mean_flip"``
    assumes.
    """
    s = src[0 if label.hemi == "lh" else 1]
    vertno = np.intersect1d(label.vertices, s["vertno"])
    if vertno.size == 0:
        return []
    flip = mne.label_sign_flip(mne.Label(vertno, hemi=label.hemi, subject="fsaverage"), src)
    return [(sign, mne.Label(vertno[flip == sign], hemi=label.hemi, name=label.name,
                             subject="fsaverage"))
            for sign in (1.0, -1.0) if (flip == sign).any()]


def _slow(rng, shape, sigma):
    """Gaussian white noise smoothed over *sigma* samples, unit variance per column."""
    x = gaussian_filter1d(rng.standard_normal(shape), sigma, axis=0, mode="wrap")
    return (x - x.mean(axis=0)) / x.std(axis=0)


def _rhythms(rng, n_samples, n_regions, sfreq, band):
    """Unit-amplitude oscillations, one frequency per region in the band's middle half."""
    low, high = band
    freqs = rng.uniform(low + (high - low) / 4, high - (high - low) / 4, n_regions)
    drift = np.cumsum(rng.standard_normal((n_samples, n_regions)), axis=0)
    drift *= 2 * np.pi * 0.1 / np.sqrt(sfreq)  # phase diffusion: about 0.1 Hz of jitter
    t = np.arange(n_samples)[:, np.newaxis] / sfreq
    return np.cos(2 * np.pi * freqs * t + rng.uniform(0, 2 * np.pi, n_regions) + drift)

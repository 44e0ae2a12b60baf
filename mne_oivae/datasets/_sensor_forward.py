"""Forward models on the fsaverage template head, built once and cached on disk."""

import hashlib
import os
from pathlib import Path

import mne
import numpy as np
from mne.utils import _validate_type, logger, verbose

from .._docs import fill_doc
from ._sensor_files import cache_root

_FSAVERAGE_DATA = Path(mne.__file__).parent / "data" / "fsaverage"
_BEM_SURFACE = _FSAVERAGE_DATA / "fsaverage-inner_skull-bem.fif"
_TRANS = _FSAVERAGE_DATA / "fsaverage-trans.fif"


@verbose
@fill_doc
def make_fsaverage_forward(info, *, spacing="ico4", subjects_dir=None, cache_dir=None,
                           verbose=None):
    """A forward model of a sensor array on the fsaverage template head, cached.

    The source space is fsaverage's cortex (:func:`mne.setup_source_space`,
    ``spacing`` e.g. ``"ico4"``: 5,124 sources), placed in the sensors' head
    coordinates by MNE's ``fsaverage-trans.fif``. MEG-only infos get the
    one-layer boundary-element model of fsaverage's inner skull that ships with
    MNE (``fsaverage-inner_skull-bem.fif``); infos with EEG get a three-layer
    sphere model (:func:`mne.make_sphere_model`) centred on that inner skull,
    its brain compartment enclosing it, as a one-layer BEM cannot model EEG
    (sources within 5 mm of the sphere's brain boundary are dropped). This is a
    template head, not the
    subject's: the head-to-sensor geometry is approximate.

    Computing the BEM solution and the forward takes minutes, so both are
    written to ``<cache>/forward`` and read back on later calls: the file name
    holds a hash of the sensors' geometry (channel names, coil types,
    positions, device-to-head transform, compensation grade), the source space
    and the head model. Delete that folder to clear the cache.

    Parameters
    ----------
    info : mne.Info
        The measurement info, e.g. ``raw.info``; its MEG and EEG channels are
        modelled (others are ignored). EEG channels need positions.
    spacing : str
        Source space spacing of :func:`mne.setup_source_space`; the fsaverage
        surfaces of ``subjects_dir`` must have its vertices (``"ico5"`` or
        coarser for the ico-5 stand-in, any for the full fsaverage).
    subjects_dir : path-like | None
        Subjects directory with ``fsaverage`` (``None``: ``SUBJECTS_DIR``).
    cache_dir : path-like | None
        Cache folder; ``None`` uses ``$MNE_OIVAE_CACHE`` (an environment or
        MNE config variable) or the user cache (``pooch.os_cache("mne-oivae")``,
        e.g. ``~/.cache/mne-oivae``).
    %(verbose)s

    Returns
    -------
    fwd : mne.Forward
        Free-orientation forward for the info's MEG and EEG channels; its
        ``fwd["src"]`` is the fsaverage source space (without dropped sources).

    Examples
    --------
    >>> fwd = make_fsaverage_forward(raw.info, subjects_dir=subjects_dir)  # doctest: +SKIP
    """
    _validate_type(info, mne.Info, "info")
    picks = mne.pick_types(info, meg=True, eeg=True, ref_meg=False, exclude=[])
    if len(picks) == 0:
        raise ValueError("info has no MEG or EEG channel to model")
    info = mne.pick_info(info, picks)
    has_meg = len(mne.pick_types(info, meg=True, ref_meg=False)) > 0
    has_eeg = len(mne.pick_types(info, meg=False, eeg=True)) > 0
    src = mne.setup_source_space("fsaverage", spacing=spacing, subjects_dir=subjects_dir,
                                 add_dist=False, verbose=False)
    root = cache_root(cache_dir)
    if has_eeg:
        bem = _skull_sphere(info)
        model = "sphere-" + hashlib.sha1(np.round(
            [*bem["r0"], bem.radius], 6).tobytes()).hexdigest()[:6]
    else:
        bem = _inner_skull_bem(root / "forward")
        model = "bem-" + _file_digest(_BEM_SURFACE)
    fname = (root / "forward" / f"fsaverage-{spacing}-{model}-"
             f"{_sensor_key(info)}-{_src_key(src)}-fwd.fif")
    if fname.is_file():
        logger.info(f"Reading the cached forward model {fname}")
        fwd = mne.read_forward_solution(fname, verbose=False)
        check_forward_src(fwd, src)
        return fwd
    logger.info(f"Computing the forward model ({len(info.ch_names)} channels, "
                f"{sum(s['nuse'] for s in src)} sources, {model}); cached in {fname}")
    fwd = mne.make_forward_solution(info, _TRANS, src, bem, meg=has_meg, eeg=has_eeg,
                                    n_jobs=1, verbose=False)
    _atomic_write(fname, lambda tmp: mne.write_forward_solution(tmp, fwd, verbose=False))
    return fwd


def check_forward_src(fwd, src):
    """Raise if the forward's sources are not points of the source space *src*."""
    _validate_type(fwd, mne.Forward, "fwd")
    fsrc = fwd["src"]
    if fsrc.kind != "surface" or len(fsrc) != len(src):
        raise ValueError(f"forward/source-space mismatch: the forward is on a "
                         f"{fsrc.kind} source space of {len(fsrc)} part(s), the labels "
                         f"need a cortical (surface) one of {len(src)}; compute the "
                         "forward on the fsaverage cortex (make_fsaverage_forward)")
    for ours, theirs, hemi in zip(src, fsrc, ("left", "right")):
        subject = theirs.get("subject_his_id")
        if subject not in (None, ours.get("subject_his_id")):
            raise ValueError(f"forward/source-space mismatch: the forward is on subject "
                             f"{subject!r}, not {ours.get('subject_his_id')!r}; morphing "
                             "does not apply to forward models: compute it on fsaverage")
        extra = np.setdiff1d(theirs["vertno"], ours["vertno"])
        if extra.size:
            raise ValueError(f"forward/source-space mismatch: {extra.size} of the "
                             f"forward's {theirs['nuse']} {hemi}-hemisphere sources "
                             f"(e.g. vertex {extra[0]}) are not in the {ours['nuse']}-"
                             "source space; compute the forward on the same spacing "
                             "(make_fsaverage_forward(info, spacing=...))")


def _inner_skull_bem(folder):
    """MNE's one-layer fsaverage BEM solution, computed once and cached."""
    fname = folder / f"fsaverage-inner_skull-{_file_digest(_BEM_SURFACE)}-bem-sol.fif"
    if fname.is_file():
        return mne.read_bem_solution(fname, verbose=False)
    logger.info("Computing the one-layer BEM solution of fsaverage (minutes, once)")
    bem = mne.make_bem_solution(mne.read_bem_surfaces(_BEM_SURFACE, verbose=False),
                                verbose=False)
    _atomic_write(fname, lambda tmp: mne.write_bem_solution(tmp, bem, verbose=False))
    return bem


def _skull_sphere(info):
    """Three-layer sphere whose brain compartment encloses fsaverage's inner skull.

    Centre: least-squares sphere fit to the inner skull surface; the innermost
    layer (90 % of the head radius) passes through the skull point farthest
    from it, so that every cortical source lies inside.
    """
    skull = mne.read_bem_surfaces(_BEM_SURFACE, verbose=False)[0]
    mri_head = mne.transforms.invert_transform(mne.read_trans(_TRANS))
    points = mne.transforms.apply_trans(mri_head, skull["rr"])
    design = np.c_[2 * points, np.ones(len(points))]
    center = np.linalg.lstsq(design, (points ** 2).sum(axis=1), rcond=None)[0][:3]
    inner = np.linalg.norm(points - center, axis=1).max()
    return mne.make_sphere_model(center, inner / 0.90, info, verbose=False)


def _file_digest(fname):
    return hashlib.sha1(Path(fname).read_bytes()).hexdigest()[:8]


def _sensor_key(info):
    """Hash of what a forward model depends on in the info."""
    digest = hashlib.sha1()
    for ch in info["chs"]:
        digest.update(f"{ch['ch_name']}|{ch['kind']}|{ch['coil_type']}".encode())
        digest.update(np.round(ch["loc"], 7).tobytes())
    if info["dev_head_t"] is not None:
        digest.update(np.round(info["dev_head_t"]["trans"], 7).tobytes())
    for comp in info["comps"]:
        digest.update(f"{comp['ctfkind']}".encode())
    return digest.hexdigest()[:12]


def _src_key(src):
    digest = hashlib.sha1()
    for s in src:
        digest.update(s["vertno"].tobytes())
        digest.update(np.round(s["rr"][s["vertno"]], 7).tobytes())
    return digest.hexdigest()[:8]


def _atomic_write(fname, write):
    """Write through a temporary name so that a crash never leaves half a file."""
    fname.parent.mkdir(parents=True, exist_ok=True)
    tmp = fname.with_name(f"tmp{os.getpid()}-{fname.name}")
    write(tmp)
    os.replace(tmp, fname)

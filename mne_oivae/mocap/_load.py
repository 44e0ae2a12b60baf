"""Finding, downloading and loading CMU motion-capture trials."""

import logging
import os
from pathlib import Path

import numpy as np
import pooch
from mne.utils import _validate_type, logger, verbose

from .._download import missing_data_message, shared_folders, standard_folders
from .._validation import check_int
from ..groups import GroupSpec
from ._amc import read_amc
from ._asf import read_asf
from ._errors import MocapDataNotFoundError
from ._registry import check_against_registry
from ._scaler import ChannelScaler

CMU_URL = "http://mocap.cs.cmu.edu/subjects/"
CMU_INFO_URL = "http://mocap.cs.cmu.edu/faqs.php"
PATH_ENV = "MNE_OIVAE_MOCAP_PATH"
URL_ENV = "MNE_OIVAE_MOCAP_URL"

#: Subject 7 of the CMU database: trials 1-11 are walks, 12 is a brisk walk.
SUBJECT7_WALKS = tuple(range(1, 12))
SUBJECT7_BRISK_WALK = 12


class MocapTrials:
    """Trials of one CMU subject as a data matrix with one group per joint.

    Returned by :func:`load_cmu_trials`.

    Attributes
    ----------
    X : ndarray of float32, shape (n_frames, n_channels)
        Joint angles of all frames of all trials, scaled by ``scaler``; the root's
        translations are left out.
    groups : GroupSpec
        One group per joint with degrees of freedom, named after the bone.
    scaler : ChannelScaler
        The scaling that produced ``X``; pass it to :func:`load_cmu_trials` to put
        test trials on the same scale.
    channel_names : list of str
        Name of every column, ``"<bone>_<dof>"``.
    n_frames : ndarray of int, shape (n_trials,)
        Frames per trial; the rows of ``X`` are the trials one after the other.
    skeleton : Skeleton
        The subject's skeleton.
    subject : int
        CMU subject number.
    trials : list of int
        Trial numbers, in the order of the rows of ``X``.
    fnames : list of str
        The AMC files read.

    Examples
    --------
    See :ref:`sphx_glr_auto_tutorials_plot_mocap.py`.
    """

    def __init__(self, X, groups, scaler, channel_names, n_frames, skeleton, subject,
                 trials, fnames):
        self.X = X
        self.groups = groups
        self.scaler = scaler
        self.channel_names = channel_names
        self.n_frames = n_frames
        self.skeleton = skeleton
        self.subject = subject
        self.trials = trials
        self.fnames = fnames

    def __repr__(self):
        return (f"<MocapTrials | subject {self.subject}, trials {self.trials}, "
                f"{self.X.shape[0]} frames, {self.X.shape[1]} channels in "
                f"{self.groups.n_groups} joints>")


@verbose
def load_cmu_trials(subject, trials, *, path=None, scaler=None, min_range=0.1,
                    drop_constant=False, download=True, base_url=None, verbose=None):
    """Load CMU motion-capture trials as joint angles grouped by joint.

    The paper's preprocessing (Sec. 6.2): every joint with degrees of freedom is
    one group (1 to 3 angles), the root's three translations are dropped and every
    channel is scaled to [0, 1] by its training range, a range below
    ``min_range`` degrees counting as ``min_range``. For subject 7 this gives
    59 angles in 29 joints.

    Channels that never move in the training trials (CMU's clavicles and
    fingers, constant up to rounding) have almost zero variance, which makes a
    Gaussian likelihood degenerate: a model can gain without bound by
    shrinking their noise (the estimator's noise floor prevents that).
    ``drop_constant=True`` leaves them out (for subject 7, 53 angles in 25
    joints).

    Parameters
    ----------
    subject : int
        CMU subject number, e.g. 7.
    trials : int | list of int
        Trial numbers, e.g. ``[1, 2]`` for ``07_01.amc`` and ``07_02.amc``.
    path : path-like | None
        Folder holding the files (directly, or in ``<subject>/`` or
        ``subjects/<subject>/`` as in CMU's zip file); missing files are
        downloaded into it. ``None`` looks in ``$MNE_OIVAE_MOCAP_PATH``, then
        ``$MNE_DATA/MNE-cmu-mocap``, then the user cache folder
        (``pooch.os_cache("mne-oivae")/cmu_mocap``), then
        ``$MNE_OIVAE_SHARED_DATA/cmu_mocap`` (a read-only shared copy), and
        downloads into the first of them.
    scaler : ChannelScaler | None
        ``None`` fits a new scaler on these trials (training data). Pass the
        ``scaler`` of the training set to scale test trials the same way; its
        ``channel_names_`` then select the channels.
    min_range : float
        Smallest channel range divided by when fitting a new scaler, in degrees
        (see :class:`ChannelScaler`); 0.1 is the paper's.
    drop_constant : bool
        Leave out channels whose range over these trials is at most
        ``min_range``, and joints left without channels. Only used when
        fitting a new scaler.
    download : bool
        Whether to download missing files from the CMU database.
    base_url : str | None
        Where to download from; ``None`` uses ``$MNE_OIVAE_MOCAP_URL`` or the CMU
        database, ``http://mocap.cs.cmu.edu/subjects/``.
    %(verbose)s

    Returns
    -------
    data : MocapTrials
        ``data.X`` (float32, frames x channels) and ``data.groups`` go straight
        into :meth:`mne_oivae.OIVAE.fit`; ``data.scaler`` scales test trials.

    Raises
    ------
    MocapDataNotFoundError
        If a file is neither found nor downloadable; the message lists where it
        looked and how to get the data.
    MocapParseError
        If a file is malformed.
    ValueError
        If a file of a subject the package knows (subject 7) has another
        channel layout or frame count than the database's (a truncated or
        wrong file); the message says how to replace it.

    See Also
    --------
    fetch_cmu_mocap, read_asf, read_amc, mne_oivae.viz.plot_poses

    Examples
    --------
    >>> from mne_oivae import OIVAE
    >>> from mne_oivae.mocap import load_cmu_trials
    >>> train = load_cmu_trials(7, [1, 2, 3])  # doctest: +SKIP
    >>> test = load_cmu_trials(7, 12, scaler=train.scaler)  # doctest: +SKIP
    >>> from mne_oivae.presets import MOCAP_RECIPE
    >>> model = OIVAE(groups=train.groups, **MOCAP_RECIPE).fit(train.X)  # doctest: +SKIP
    >>> model.score(test.X)  # doctest: +SKIP
    """
    if scaler is not None:
        _validate_type(scaler, ChannelScaler, "scaler", "ChannelScaler or None")
    _validate_type(drop_constant, bool, "drop_constant")
    trials = _as_trials(trials)
    asf_fname, amc_fnames = fetch_cmu_mocap(subject, trials, path=path,
                                            download=download, base_url=base_url)
    skeleton = read_asf(asf_fname)
    motions = [read_amc(fname, skeleton) for fname in amc_fnames]
    check_against_registry(subject, skeleton, motions, trials,
                           f"{CMU_URL}{subject:02d}/")
    data = np.concatenate([motion.data for motion in motions])
    if scaler is None:
        keep = [i for i, name in enumerate(skeleton.channel_names)
                if name not in ("root_tx", "root_ty", "root_tz")
                and not (drop_constant and np.ptp(data[:, i]) <= min_range)]
        names = [skeleton.channel_names[i] for i in keep]
        scaler = ChannelScaler(min_range).fit(data[:, keep], channel_names=names)
    else:
        names = getattr(scaler, "channel_names_", None)
        if not names:
            raise ValueError("scaler is not fitted or has no channel names; pass the "
                             "scaler of the training trials (MocapTrials.scaler)")
        unknown = [name for name in names if name not in skeleton.channel_names]
        if unknown:
            raise ValueError(f"scaler was fitted on other channels than those of subject "
                             f"{subject}'s skeleton ({len(unknown)} unknown, e.g. "
                             f"{unknown[0]!r}); pass the scaler of training trials of "
                             "the same subject")
        keep = [skeleton.channel_names.index(name) for name in names]
    X = scaler.transform(data[:, keep]).astype(np.float32)
    groups = GroupSpec.from_labels([skeleton.bone_names[b]  # one group per joint
                                    for b in skeleton.channel_bones[keep]])
    n_frames = np.array([motion.n_frames for motion in motions])
    logger.info(f"Loaded {len(motions)} trial(s) of CMU subject {subject}: "
                f"{X.shape[0]} frames, {X.shape[1]} angles in {groups.n_groups} joints")
    return MocapTrials(X, groups, scaler, names, n_frames, skeleton, subject,
                       trials, [str(f) for f in amc_fnames])


@verbose
def fetch_cmu_mocap(subject, trials, *, path=None, download=True, base_url=None,
                    verbose=None):
    """Locate (and if needed download) a CMU subject's skeleton and motion files.

    Parameters
    ----------
    subject : int
        CMU subject number.
    trials : int | list of int
        Trial numbers.
    path : path-like | None
        Where to look and download to; see :func:`load_cmu_trials`.
    download : bool
        Whether to download missing files.
    base_url : str | None
        Where to download from; see :func:`load_cmu_trials`.
    %(verbose)s

    Returns
    -------
    asf_fname : Path
        The subject's ``.asf`` file.
    amc_fnames : list of Path
        One ``.amc`` file per trial.

    Examples
    --------
    >>> asf, amcs = fetch_cmu_mocap(7, [1, 2])  # doctest: +SKIP
    >>> asf.name, amcs[1].name  # doctest: +SKIP
    ('07.asf', '07_02.amc')
    """
    subject = check_int(subject, "subject", minimum=1)
    trials = _as_trials(trials)
    _validate_type(download, bool, "download")
    folders = search_folders(path)
    sub = f"{subject:02d}"
    names = [f"{sub}.asf"] + [f"{sub}_{trial:02d}.amc" for trial in trials]
    fnames = [_find_or_download(name, sub, folders, download, base_url)
              for name in names]
    return fnames[0], fnames[1:]


def search_folders(path=None):
    """Folders searched for CMU files, in order; missing files go to the first."""
    if path is not None:
        _validate_type(path, (str, os.PathLike), "path", "path-like or None")
        return [Path(path).expanduser()]
    # the read-only shared copy last, never written
    return (standard_folders(PATH_ENV, "MNE-cmu-mocap", "cmu_mocap")
            + shared_folders("cmu_mocap"))


def _find_or_download(name, sub, folders, download, base_url):
    for folder in folders:
        for candidate in (folder / name, folder / sub / name,
                          folder / "subjects" / sub / name,
                          folder / "all_asfamc" / "subjects" / sub / name):
            if candidate.is_file():
                logger.debug(f"Using {candidate}")
                return candidate
    base_url = base_url or os.environ.get(URL_ENV) or CMU_URL
    url = f"{base_url.rstrip('/')}/{sub}/{name}"
    fix = (f"Get the files from {CMU_URL}{sub}/ (or the zip of all ASF/AMC files, "
           f"see {CMU_INFO_URL}) and put them in one of those folders (directly or "
           f"in subjects/{sub}/), or pass path=<folder>, or set {PATH_ENV}.")
    if not download:
        raise MocapDataNotFoundError(missing_data_message(
            name, folders, fix, "downloading is off (download=False)"), searched=folders)
    target = folders[0] / "subjects" / sub
    logger.info(f"Downloading {url} to {target}")
    try:
        # a bar at INFO and below, silent at WARNING: mne.utils.ProgressBar's rule
        fname = pooch.retrieve(url, known_hash=None, fname=name, path=target,
                               progressbar=logger.level <= logging.INFO)
    except OSError as exc:  # requests' errors (connection, HTTP status) are OSErrors
        raise MocapDataNotFoundError(missing_data_message(name, folders, fix, exc, url),
                                     searched=folders) from None
    return Path(fname)


def _as_trials(trials):
    if isinstance(trials, (int, np.integer)) and not isinstance(trials, bool):
        trials = [trials]
    _validate_type(trials, (list, tuple, range, np.ndarray), "trials",
                  "int or list of int")
    trials = [check_int(t, "each trial number", minimum=1) for t in trials]
    if not trials:
        raise ValueError("trials must hold at least one trial number, got an empty list")
    return trials

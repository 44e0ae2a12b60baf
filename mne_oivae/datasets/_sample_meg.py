"""The real MEG evoked responses of MNE's "sample" subject: found on disk or downloaded."""

import logging
import os
from pathlib import Path

import mne
import pooch
from mne.utils import _validate_type, logger, verbose

from .._docs import fill_doc
from .._download import shared_folders, standard_folders

PATH_ENV = "MNE_OIVAE_SAMPLE_MEG_PATH"
_MNE_PYTHON = ("https://github.com/mne-tools/mne-python/raw/"
               "8aa8dec45a522363be02cba78d0856442b208067/")
_MNE_TESTING = ("https://github.com/mne-tools/mne-testing-data/raw/"
                "e31ecb0ab137b3d89c938d0985d42f1d2ffb2bad/")
#: file name -> (md5, download URL, folder of MNE's own copy: in its testing data
#: set, or in MNE-Python's source tree where the file comes from there)
SAMPLE_FILES = {
    "test-ave.fif.gz": ("06d06d0c4f3f154a33054e65e83aee60",
                        _MNE_PYTHON + "mne/io/tests/data/test-ave.fif.gz", "io/tests/data"),
    "sample_audvis-cov.fif": ("91cd4feea5bc8b18177351407d11787b",
                              _MNE_TESTING + "MEG/sample/sample_audvis-cov.fif", "MEG/sample"),
    "test_erm-cov.fif": ("61a2d8033a3cabbed770adec6b2c5dde",
                         _MNE_PYTHON + "mne/io/tests/data/test_erm-cov.fif", "io/tests/data"),
}
_FETCHED = {"evoked": "test-ave.fif.gz", "noise_cov": "sample_audvis-cov.fif"}


@verbose
@fill_doc
def fetch_sample_evoked(path=None, *, download=True, verbose=None):
    """Locate (and if needed download) real evoked MEG responses and their noise covariance.

    Four evoked responses of MNE's "sample" subject (Neuromag Vectorview, 306
    MEG + 60 EEG channels): left and right auditory tones and left and right
    visual checkerboards, each the average of only 3 to 6 trials, 600.6 Hz,
    -0.2 to 0.5 s (``test-ave.fif.gz`` of MNE-Python's test data), and the
    noise covariance of the recording's pre-stimulus baselines
    (``sample_audvis-cov.fif`` of MNE's testing data set). About 3 MiB.

    Parameters
    ----------
    path : path-like | None
        Folder holding the two files, where missing ones are downloaded to.
        ``None`` looks in ``$MNE_OIVAE_SAMPLE_MEG_PATH``, then
        ``$MNE_DATA/MNE-oivae-sample-meg``, then the user cache folder
        (``pooch.os_cache("mne-oivae")/sample_meg``), then MNE's testing data
        (:func:`mne.datasets.testing.data_path`, if downloaded) and
        ``$MNE_OIVAE_SHARED_DATA/mne_testing/meg`` (a read-only shared
        copy), and downloads into the first of them.
    download : bool
        Whether to download missing files (from the mne-python and
        mne-testing-data repositories on GitHub, checked by MD5).
    %(verbose)s

    Returns
    -------
    fnames : dict of pathlib.Path
        ``fnames["evoked"]`` for :func:`mne.read_evokeds` and
        ``fnames["noise_cov"]`` for :func:`mne.read_cov`.

    Raises
    ------
    FileNotFoundError
        If a file is neither found (with the right checksum) nor downloadable;
        the message lists where it looked and how to get the file.

    Examples
    --------
    >>> fnames = fetch_sample_evoked()  # doctest: +SKIP
    >>> evokeds = mne.read_evokeds(fnames["evoked"])  # doctest: +SKIP
    >>> noise_cov = mne.read_cov(fnames["noise_cov"])  # doctest: +SKIP
    """
    _validate_type(download, bool, "download")
    folders = _search_folders(path)
    fix = f"pass path=<folder holding it>, or set {PATH_ENV}"
    return {key: find_or_download(name, folders, download=download, fix=fix)
            for key, name in _FETCHED.items()}


def _search_folders(path):
    """Folders searched, in order, for each file; missing files go to the first."""
    if path is not None:
        _validate_type(path, (str, os.PathLike), "path", "path-like or None")
        return [Path(path).expanduser()]
    common = standard_folders(PATH_ENV, "MNE-oivae-sample-meg", "sample_meg")
    mne_copies = [folder for name in _FETCHED.values() for folder in mne_copy(name)]
    # the read-only copies last, never written
    return common + mne_copies + shared_folders("mne_testing", "meg")


def mne_copy(name):
    """The folder of MNE's own copy of the file *name*, if MNE has one on this machine."""
    place = SAMPLE_FILES[name][2]
    if place.startswith("io/"):  # MNE-Python's source tree (absent from its wheels)
        return [Path(mne.__file__).parent / place]
    try:
        testing = Path(mne.datasets.testing.data_path(download=False, verbose=False))
    except FileNotFoundError:  # MNE_DATA set to a folder that does not exist
        return []
    return [testing / place] if testing.name == "MNE-testing-data" else []  # else absent


def find_or_download(name, folders, *, fix, download=True, target=None):
    """Path of the file *name* of :data:`SAMPLE_FILES`, checked by MD5.

    Looked for in *folders*, in order; else downloaded into *target* (by
    default the first folder). *fix* names the caller's ways to get the file,
    for the error raised when it can be neither found nor downloaded.
    """
    md5, url, _ = SAMPLE_FILES[name]
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            if pooch.file_hash(str(candidate), alg="md5") == md5:
                logger.debug(f"Using {candidate}")
                return candidate
            logger.info(f"Skipping {candidate}: not the expected file (MD5 differs)")
    target = folders[0] if target is None else target
    looked = ", ".join(str(f) for f in folders)
    fix = f"Download {url} (MD5 {md5}) into one of those folders, or {fix}"
    if not download:
        raise FileNotFoundError(f"Data not found: {name} is in none of: {looked}. "
                                f"Downloading is off (download=False). {fix}.")
    logger.info(f"Downloading {url} to {target}")
    try:
        # a bar at INFO and below, silent at WARNING: mne.utils.ProgressBar's rule
        fname = pooch.retrieve(url, known_hash=f"md5:{md5}", fname=name, path=target,
                               progressbar=logger.level <= logging.INFO)
    except (OSError, ValueError) as exc:  # network/HTTP errors; ValueError: bad hash
        raise FileNotFoundError(f"Data not found: {name} is in none of: {looked}, and "
                                f"downloading it from {url} failed ({exc}). {fix}.") from exc
    return Path(fname)

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
#: key: (file name, md5, download URL, its place in MNE's testing data or source tree)
_FILES = {
    "evoked": ("test-ave.fif.gz", "06d06d0c4f3f154a33054e65e83aee60",
               _MNE_PYTHON + "mne/io/tests/data/test-ave.fif.gz", "io/tests/data"),
    "noise_cov": ("sample_audvis-cov.fif", "91cd4feea5bc8b18177351407d11787b",
                  _MNE_TESTING + "MEG/sample/sample_audvis-cov.fif", "MEG/sample"),
}


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
    return {key: _find_or_download(key, folders, download) for key in _FILES}


def _search_folders(path):
    """Folders searched, in order, for each file (by key); missing files go to the first."""
    if path is not None:
        _validate_type(path, (str, os.PathLike), "path", "path-like or None")
        return {key: [Path(path).expanduser()] for key in _FILES}
    common = standard_folders(PATH_ENV, "MNE-oivae-sample-meg", "sample_meg")
    try:
        testing = Path(mne.datasets.testing.data_path(download=False, verbose=False))
    except FileNotFoundError:  # MNE_DATA set to a folder that does not exist
        testing = Path()
    shared = shared_folders("mne_testing", "meg")
    folders = {}
    for key, (_, _, _, sub) in _FILES.items():
        extra = [Path(mne.__file__).parent / sub] if key == "evoked" else (
            [testing / sub] if testing.name == "MNE-testing-data" else [])  # else absent
        folders[key] = common + extra + shared  # the read-only copies last, never written
    return folders


def _find_or_download(key, folders, download):
    name, md5, url, _ = _FILES[key]
    folders = folders[key]
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            if pooch.file_hash(str(candidate), alg="md5") == md5:
                logger.debug(f"Using {candidate}")
                return candidate
            logger.info(f"Skipping {candidate}: not the expected file (MD5 differs)")
    looked = ", ".join(str(f) for f in folders)
    fix = (f"Download {url} (MD5 {md5}) into one of those folders, or pass "
           f"path=<folder holding it>, or set {PATH_ENV}.")
    if not download:
        raise FileNotFoundError(f"Data not found: {name} is in none of: {looked}. "
                                f"Downloading is off (download=False). {fix}")
    logger.info(f"Downloading {url} to {folders[0]}")
    try:
        # a bar at INFO and below, silent at WARNING: mne.utils.ProgressBar's rule
        fname = pooch.retrieve(url, known_hash=f"md5:{md5}", fname=name, path=folders[0],
                               progressbar=logger.level <= logging.INFO)
    except (OSError, ValueError) as exc:  # network/HTTP errors; ValueError: bad hash
        raise FileNotFoundError(f"Data not found: {name} is in none of: {looked}, and "
                                f"downloading it from {url} failed ({exc}). {fix}") from exc
    return Path(fname)

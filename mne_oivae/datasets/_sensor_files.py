"""Real measurement infos and noise covariances of MNE's sample recording.

Looked for in the standard places, else downloaded (pooch, checked by MD5):
the MNE testing data set and the MNE-Python repository hold them.
"""

from pathlib import Path

import mne
import pooch
from mne.utils import logger

from .._download import shared_folders

_MTD = "https://github.com/mne-tools/mne-testing-data/raw/e31ecb0ab137b3d89c938d0985d42f1d2ffb2bad/"
_MNE = "https://github.com/mne-tools/mne-python/raw/8aa8dec45a522363be02cba78d0856442b208067/"
#: file name -> (URL, path inside the MNE testing data set or None, md5)
FILES = {
    "test-ave.fif.gz": (_MNE + "mne/io/tests/data/test-ave.fif.gz", None,
                        "06d06d0c4f3f154a33054e65e83aee60"),
    "sample_audvis-cov.fif": (_MTD + "MEG/sample/sample_audvis-cov.fif",
                              "MEG/sample/sample_audvis-cov.fif",
                              "91cd4feea5bc8b18177351407d11787b"),
    "test_erm-cov.fif": (_MNE + "mne/io/tests/data/test_erm-cov.fif", None,
                         "61a2d8033a3cabbed770adec6b2c5dde"),
}


def cache_root(cache_dir=None):
    """The package's cache folder: *cache_dir*, ``$MNE_OIVAE_CACHE`` or the user cache."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    return Path(mne.get_config("MNE_OIVAE_CACHE", pooch.os_cache("mne-oivae"))).expanduser()


def sample_file(name, data_path=None, cache_dir=None):
    """Path of one of :data:`FILES`: found locally or downloaded into the cache."""
    url, testing_path, md5 = FILES[name]
    folders = [Path(data_path).expanduser()] if data_path is not None else []
    folders += shared_folders("mne_testing", "meg")
    testing = mne.datasets.testing.data_path(download=False, verbose=False)
    if testing_path is not None and str(testing):
        folders.append(Path(testing) / Path(testing_path).parent)
    target = cache_root(cache_dir) / "mne_testing"
    folders.append(target)
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    logger.info(f"Downloading {name} from {url}")
    return Path(pooch.retrieve(url, known_hash=f"md5:{md5}", fname=name, path=target,
                               progressbar=False))

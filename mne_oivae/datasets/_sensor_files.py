"""The files of MNE's sample recording that the sensor-level simulation reads.

Its measurement info and noise covariances: looked for in the standard places,
else downloaded into the package's cache (checked by MD5).
"""

from pathlib import Path

import mne
import pooch

from .._download import shared_folders
from ._sample_meg import find_or_download, mne_copy


def cache_root(cache_dir=None):
    """The package's cache folder: *cache_dir*, ``$MNE_OIVAE_CACHE`` or the user cache."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    return Path(mne.get_config("MNE_OIVAE_CACHE", pooch.os_cache("mne-oivae"))).expanduser()


def sample_file(name, data_path=None, cache_dir=None):
    """Path of the sample recording's file *name*: found locally or downloaded into the cache."""
    target = cache_root(cache_dir) / "mne_testing"
    folders = [Path(data_path).expanduser()] if data_path is not None else []
    folders += shared_folders("mne_testing", "meg") + mne_copy(name) + [target]
    return find_or_download(name, folders, target=target,
                            fix="pass data_path=<folder holding it>")

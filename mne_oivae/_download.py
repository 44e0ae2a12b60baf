"""Where data sets are looked for, and one message when they are nowhere."""

import os
from pathlib import Path

import pooch
from mne.utils import get_config

SHARED_ENV = "MNE_OIVAE_SHARED_DATA"


def standard_folders(path_env, mne_data_name, cache_name):
    """The writable places a data set is looked for, in order; downloads go to the first.

    ``$<path_env>``, ``<MNE_DATA>/<mne_data_name>`` (MNE's data folder, when
    configured), then ``<cache>/<cache_name>`` in mne-oivae's user cache.
    """
    folders = []
    if os.environ.get(path_env):
        folders.append(Path(os.environ[path_env]).expanduser())
    mne_data = get_config("MNE_DATA")
    if mne_data:
        folders.append(Path(mne_data).expanduser() / mne_data_name)
    folders.append(Path(pooch.os_cache("mne-oivae")) / cache_name)
    return folders


def shared_folders(*parts):
    """``[$MNE_OIVAE_SHARED_DATA/<parts>]``, a read-only copy searched last; ``[]`` if unset."""
    if not os.environ.get(SHARED_ENV):
        return []
    return [Path(os.environ[SHARED_ENV]).expanduser().joinpath(*parts)]


def missing_data_message(what, looked, provide, failure=None, url=None):
    """What is missing, where it was looked for, why not downloaded, how to provide it.

    Parameters
    ----------
    what : str
        The file or data set, e.g. ``"07_01.amc"``.
    looked : list of path-like | str
        Where it was looked for.
    provide : str
        How to provide it: the argument or variable to set, the URL to fetch by hand.
    failure : BaseException | str | None
        Why it was not downloaded: the download's error (its first line is
        kept), or a reason. ``None``: no download was tried.
    url : str | None
        Where the failed download was from.
    """
    if not isinstance(looked, str):
        looked = ", ".join(str(folder) for folder in looked)
    if isinstance(failure, BaseException):
        lines = str(failure).strip().splitlines() or [""]
        source = "" if url is None else f" from {url}"
        failure = f"downloading it{source} failed ({type(failure).__name__}: {lines[0]})"
    why = "" if failure is None else f"; {failure}"
    return f"Data not found: {what} is in none of: {looked}{why}. {provide}"

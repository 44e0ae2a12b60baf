"""Fixtures over the shared read-only data: fsaverage5, HCP-MMP1, MNE testing stcs.

The data live outside the repository (``../shared/data`` from the project root,
or ``$MNE_OIVAE_SHARED_DATA``); tests skip, naming the missing path, only when
they are absent.
"""

import os
import shutil
from pathlib import Path

import mne
import pytest

SHARED = Path(os.environ.get("MNE_OIVAE_SHARED_DATA",
                             Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))


def _require(path):
    if not path.exists():
        pytest.skip(f"shared test data not found at {path}; set MNE_OIVAE_SHARED_DATA "
                    "to the directory described in shared/data/README.md")
    return path


@pytest.fixture(scope="session")
def subjects_dir(tmp_path_factory):
    """Writable subjects dir with fsaverage5 (surfaces linked, labels copied)."""
    src = _require(SHARED / "subjects" / "fsaverage")
    dest = tmp_path_factory.mktemp("subjects") / "fsaverage"
    dest.mkdir()
    (dest / "surf").symlink_to(src / "surf")
    shutil.copytree(src / "label", dest / "label")
    return dest.parent


@pytest.fixture(scope="session")
def hcp_labels(subjects_dir):
    """The 44 HCP-MMP1 combined regions (no medial wall)."""
    from mne_oivae.hcpmmp1 import read_hcpmmp1_labels

    return read_hcpmmp1_labels(subjects_dir, accept=True, verbose=False)


@pytest.fixture(scope="session")
def meg_stc():
    """Real MEG source estimate from MNE's testing data, fsaverage ico-3."""
    base = SHARED / "mne_testing" / "fsaverage_audvis_trunc-meg"
    _require(base.parent / (base.name + "-lh.stc"))
    stc = mne.read_source_estimate(base)
    stc.subject = "fsaverage"
    return stc


@pytest.fixture(scope="session")
def src_ico3(subjects_dir):
    return mne.setup_source_space("fsaverage", spacing="ico3", subjects_dir=subjects_dir,
                                  add_dist=False, verbose=False)

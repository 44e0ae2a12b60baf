"""Fixtures over the shared read-only data: fsaverage5, HCP-MMP1, MNE testing stcs.

Built on the ``shared_data`` fixture of conftest.py (``../shared/data`` or
``$MNE_OIVAE_SHARED_DATA``); import the ones a test module uses.
"""

import shutil

import mne
import pytest


def _require(path):
    if not path.exists():
        pytest.skip(f"shared test data incomplete: {path} is missing (see "
                    "shared/data/README.md)")
    return path


@pytest.fixture(scope="session")
def subjects_dir(shared_data, tmp_path_factory):
    """Writable subjects dir with fsaverage5 (surfaces linked, labels copied)."""
    src = _require(shared_data / "subjects" / "fsaverage")
    dest = tmp_path_factory.mktemp("subjects") / "fsaverage"
    dest.mkdir()
    (dest / "surf").symlink_to(src / "surf")
    (dest / "label").mkdir()
    for annot in (src / "label").glob("*.annot"):  # copyfile: drop read-only modes
        shutil.copyfile(annot, dest / "label" / annot.name)
    return dest.parent


@pytest.fixture(scope="session")
def hcp_labels(subjects_dir):
    """The 44 HCP-MMP1 combined regions (no medial wall)."""
    from mne_oivae.source import read_hcpmmp1_labels

    return read_hcpmmp1_labels(subjects_dir, accept=True, verbose=False)


@pytest.fixture(scope="session")
def meg_stc(shared_data):
    """Real MEG source estimate from MNE's testing data, fsaverage ico-3."""
    base = shared_data / "mne_testing" / "fsaverage_audvis_trunc-meg"
    _require(base.parent / (base.name + "-lh.stc"))
    stc = mne.read_source_estimate(base)
    stc.subject = "fsaverage"
    return stc


@pytest.fixture(scope="session")
def src_ico3(subjects_dir):
    return mne.setup_source_space("fsaverage", spacing="ico3", subjects_dir=subjects_dir,
                                  add_dist=False, verbose=False)

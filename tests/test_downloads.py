"""A download that cannot happen ends in one message: what, where, and how to provide it."""

import pytest
import requests

from mne_oivae import cli, fsaverage_subjects_dir, read_hcpmmp1_labels
from mne_oivae.source._hcpmmp1 import FSAVERAGE_URL, HCPMMP1_URLS


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No SUBJECTS_DIR, an empty MNE_DATA and MNE config, and every download refused."""
    attempts = []

    def refuse(url, *args, **kwargs):
        attempts.append(url)
        raise requests.exceptions.ConnectionError(
            f"HTTPSConnectionPool: Max retries exceeded with url: {url}\n(refused)")

    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(requests.Session, "request",
                        lambda self, method, url, *a, **k: refuse(url))
    monkeypatch.setenv("_MNE_FAKE_HOME_DIR", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.delenv("SUBJECTS_DIR", raising=False)
    (tmp_path / "mne_data").mkdir()
    monkeypatch.setenv("MNE_DATA", str(tmp_path / "mne_data"))
    return attempts


def _fake_fsaverage(root):
    """A subjects folder whose fsaverage has surfaces but no HCP-MMP1 annotations."""
    (root / "fsaverage" / "surf").mkdir(parents=True)
    (root / "fsaverage" / "label").mkdir()
    return root


def test_fsaverage_download_refused(offline, tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        fsaverage_subjects_dir()
    message = str(err.value)
    assert offline  # a download was tried, and refused
    for part in ("fsaverage", "SUBJECTS_DIR", FSAVERAGE_URL, "ConnectionError",
                 str(tmp_path / "mne_data" / "MNE-fsaverage-data"), "--subjects-dir"):
        assert part in message
    assert "\n" not in message


def test_fsaverage_missing_from_the_given_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="fsaverage is in none of") as err:
        fsaverage_subjects_dir(tmp_path)
    assert str(tmp_path) in str(err.value) and FSAVERAGE_URL in str(err.value)
    assert fsaverage_subjects_dir(_fake_fsaverage(tmp_path)) == tmp_path


def test_hcpmmp1_download_refused(offline, tmp_path):
    subjects_dir = _fake_fsaverage(tmp_path / "subjects")
    with pytest.raises(FileNotFoundError) as err:
        read_hcpmmp1_labels(subjects_dir, accept=True)
    message = str(err.value)
    assert offline and "\n" not in message
    for part in ("HCPMMP1.annot", str(subjects_dir / "fsaverage" / "label"),
                 HCPMMP1_URLS["lh"], HCPMMP1_URLS["rh"], "SUBJECTS_DIR",
                 "ConnectionError"):
        assert part in message


def test_hcpmmp1_without_a_subjects_folder(offline):
    with pytest.raises(FileNotFoundError, match="no subjects folder.*SUBJECTS_DIR"):
        read_hcpmmp1_labels(accept=True)


@pytest.mark.parametrize("fsaverage", [False, True])
def test_cli_meg_demo_offline_ends_in_one_message(offline, tmp_path, capsys, fsaverage):
    """``mne-oivae demo meg`` offline: exit status 2 and one line, no traceback."""
    args = ["demo", "meg", "--quick", "--accept-hcpmmp-license", "--out",
            str(tmp_path / "out")]
    if fsaverage:  # fsaverage at hand, the parcellation to download
        args += ["--subjects-dir", str(_fake_fsaverage(tmp_path / "subjects"))]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mne-oivae demo meg: Data not found: ")
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert ("HCPMMP1" if fsaverage else FSAVERAGE_URL) in err

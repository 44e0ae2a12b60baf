"""Model files: atomic writes, refusal of foreign and pickled files, format versions."""

import os
import pickle

import h5py
import numpy as np
import pytest

from mne_oivae import OIVAE, read_oivae
from mne_oivae._io import FORMAT_VERSION, FormatError, write_state
from mne_oivae.datasets import make_bars


@pytest.fixture(scope="module")
def model():
    X, groups = make_bars(n_samples=64, size=4, random_state=0)
    return OIVAE(n_components=3, n_iter=20, batch_size=32, random_state=0,
                 verbose=False, groups=groups).fit(X)


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch PWNED_BY_PICKLE",))


def test_pickle_payload_is_refused_without_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fname = tmp_path / "evil.h5"
    fname.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(FormatError, match="Python pickle.*never loads pickled"):
        read_oivae(fname)
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()


def test_pickle_inside_hdf5_is_refused(tmp_path, monkeypatch, model):
    monkeypatch.chdir(tmp_path)
    fname = model.save(tmp_path / "model.h5")
    with h5py.File(fname, "a") as fid:  # smuggle a pickle in as opaque bytes
        fid["arrays"].create_dataset("payload", data=np.void(pickle.dumps(_Payload())))
    with pytest.raises(FormatError, match="'payload' is not a numeric array"):
        read_oivae(fname)
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()


def test_foreign_hdf5_and_versions(tmp_path, model):
    fname = tmp_path / "other.h5"
    with h5py.File(fname, "w") as fid:
        fid["x"] = np.arange(3)
    with pytest.raises(FormatError, match="not an mne-oivae file"):
        read_oivae(fname)
    fname = model.save(tmp_path / "model.h5")
    with h5py.File(fname, "a") as fid:
        fid.attrs["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(FormatError, match="Upgrade mne-oivae"):
        read_oivae(fname)
    text = tmp_path / "notes.h5"
    text.write_text("hello")
    with pytest.raises(FormatError, match="not an mne-oivae model file"):
        read_oivae(text)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_oivae(tmp_path / "missing.h5")


def test_checkpoint_is_not_a_model(tmp_path):
    fname = write_state(tmp_path / "c.h5", "checkpoint", {}, {})
    with pytest.raises(FormatError, match="holds a 'checkpoint', expected a 'model'"):
        read_oivae(fname)


def test_save_interrupted_mid_write_keeps_old_file(tmp_path, model, monkeypatch):
    fname = model.save(tmp_path / "model.h5")
    before = fname.read_bytes()

    original = h5py.Group.create_dataset
    calls = {"n": 0}

    def create_then_crash(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # a few arrays in, the write dies
            raise KeyboardInterrupt("simulated crash while writing")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", create_then_crash)
    with pytest.raises(KeyboardInterrupt):
        model.save(fname, overwrite=True)
    monkeypatch.undo()
    assert fname.read_bytes() == before
    assert read_oivae(fname).group_weights_.shape == (4, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["model.h5"]  # no temp files left


def test_save_checks_fname(tmp_path, model):
    with pytest.raises(ValueError, match="must end with .h5"):
        model.save(tmp_path / "model.pkl")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.save(tmp_path / "nope" / "model.h5")


def test_saved_file_has_the_permissions_of_a_new_file(tmp_path, model):
    """Atomic writes go through mkstemp (0600); the saved file gets 0666 less the umask."""
    old = os.umask(0o022)
    try:
        fname = model.save(tmp_path / "model.h5")
    finally:
        os.umask(old)
    assert os.stat(fname).st_mode & 0o777 == 0o644

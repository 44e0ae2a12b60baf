"""Fits on recordings read from disk a minibatch at a time equal fits of their concatenation."""

import os

import h5py
import numpy as np
import pytest

import mne_oivae._pipeline as pipeline
from mne_oivae import OIVAE
from mne_oivae._recordings import RecordingError, Recordings
from mne_oivae._units import fit_scale
from mne_oivae.datasets import make_bars

SPLITS = [70, 180]  # three recordings of unequal length


def _bars():
    return make_bars(n_samples=300, random_state=0)


def _model(groups, **kwargs):
    params = {"n_components": 8, "groups": groups, "n_iter": 40, "batch_size": 64,
              "n_init": 2, "random_state": 0, "verbose": False}
    return OIVAE(**{**params, **kwargs})


def _save(tmp_path, parts):
    fnames = [tmp_path / f"sub-{i:02d}.npy" for i in range(len(parts))]
    for fname, part in zip(fnames, parts):
        np.save(fname, part)
    return fnames


@pytest.fixture(scope="module")
def reference():
    X, groups = _bars()
    return X, groups, _model(groups).fit(X)


@pytest.mark.parametrize("kind", ["paths", "memmaps", "arrays", "hdf5"])
def test_streamed_fit_is_bit_identical(reference, tmp_path, kind):
    X, groups, ref = reference
    parts = np.split(X, SPLITS)
    fnames = _save(tmp_path, parts)
    if kind == "hdf5":
        with h5py.File(tmp_path / "data.h5", "w") as fid:
            for i, part in enumerate(parts):
                fid[f"sub{i}"] = part
        with h5py.File(tmp_path / "data.h5", "r") as fid:
            model = _model(groups).fit([fid[f"sub{i}"] for i in range(len(parts))])
    else:
        data = {"paths": fnames, "arrays": parts,
                "memmaps": [np.load(f, mmap_mode="r") for f in fnames]}[kind]
        model = _model(groups).fit(data)
    assert model.scale_ == ref.scale_
    np.testing.assert_array_equal(model.group_weights_, ref.group_weights_)
    np.testing.assert_array_equal(model.history_["elbo"], ref.history_["elbo"])
    assert model.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(model.transform(parts[1]), ref.transform(parts[1]))


def test_subsample_warmup_reads_recordings_like_their_concatenation(reference, tmp_path):
    X, groups, ref = reference
    warm = {"subsample_warmup": 20, "subsample_size": 100}
    in_memory = _model(groups, **warm).fit(X)
    streamed = _model(groups, **warm).fit(_save(tmp_path, np.split(X, SPLITS)))
    np.testing.assert_array_equal(streamed.group_weights_, in_memory.group_weights_)
    np.testing.assert_array_equal(streamed.history_["elbo"], in_memory.history_["elbo"])
    assert not np.array_equal(in_memory.history_["elbo"], ref.history_["elbo"])


def test_recordings_read_like_their_concatenation(tmp_path):
    rng = np.random.default_rng(1)
    parts = [rng.standard_normal((n, 5)) * 1e-12 for n in (3, 8, 1, 6)]
    X = np.concatenate(parts)
    recordings = Recordings([str(f) for f in _save(tmp_path, parts)])
    assert recordings.shape == X.shape and recordings.n_recordings == 4
    np.testing.assert_array_equal(recordings[2:12], X[2:12])
    idx = np.array([17, 0, 3, 3, 11, 12, 4])  # unsorted, repeated, across files
    np.testing.assert_array_equal(recordings.take(idx), X[idx])
    np.testing.assert_array_equal(recordings.recording_ids(),
                                  np.repeat(np.arange(4), [3, 8, 1, 6]))
    assert fit_scale(recordings) == fit_scale(X)  # the same blocks, streamed


def test_recordings_bad_input(tmp_path):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="recording 0 has 4 and recording 1 has 5"):
        Recordings([rng.standard_normal((6, 4)), rng.standard_normal((6, 5))])
    with pytest.raises(ValueError, match="recording 1 must be 2-D"):
        Recordings([rng.standard_normal((6, 4)), rng.standard_normal((2, 6, 4))])
    with pytest.raises(FileNotFoundError, match="recording 0: no such file"):
        Recordings([tmp_path / "missing.npy"])
    with pytest.raises(ValueError, match="paths must name .npy files"):
        Recordings([tmp_path / "data.fif"])
    with pytest.raises(TypeError, match="recording 0 must be an array"):
        Recordings([{"X": 1}])
    bad = rng.standard_normal((50, 4))
    bad[7, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        OIVAE(n_iter=2, verbose=False).fit([rng.standard_normal((50, 4)), bad])
    model = OIVAE(n_components=2, n_iter=2, verbose=False).fit(_save(tmp_path, [bad[:5]]))
    with pytest.raises(TypeError, match="pass the recordings one at a time"):
        model.transform([bad[:5], bad[8:]])


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_damaged_recording_resumes_from_checkpoint(reference, tmp_path, monkeypatch, damage):
    X, groups, _ = reference
    parts = np.split(X, SPLITS)
    fnames = _save(tmp_path, parts)
    checkpoint = tmp_path / "fit.h5"
    save = pipeline.save_checkpoint

    def save_then_damage(*args):
        save(*args)
        if damage == "truncate":
            os.truncate(fnames[1], os.path.getsize(fnames[1]) // 2)
        else:
            os.remove(fnames[1])

    monkeypatch.setattr(pipeline, "save_checkpoint", save_then_damage)
    model = _model(groups, n_iter=60)
    word = "truncated" if damage == "truncate" else "vanished"
    with pytest.raises(RecordingError,
                       match=rf"sub-01.npy (was )?{word} during the fit.*resume=True"):
        model.fit(fnames, checkpoint=checkpoint, checkpoint_every=4)
    monkeypatch.setattr(pipeline, "save_checkpoint", save)
    np.save(fnames[1], 1.01 * parts[1])  # not the file the fit started with
    with pytest.raises(ValueError, match="made on other data"):
        model.fit(fnames, checkpoint=checkpoint, resume=True)
    np.save(fnames[1], parts[1])  # restored
    model.fit(fnames, checkpoint=checkpoint, resume=True)
    whole = _model(groups, n_iter=60).fit(X)
    np.testing.assert_array_equal(model.group_weights_, whole.group_weights_)
    np.testing.assert_array_equal(model.history_["elbo"], whole.history_["elbo"])

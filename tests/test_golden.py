"""Files written before a change still read the same: golden files and layout independence.

``tests/data/golden`` holds two tiny models written by ``tests/make_golden.py``
(one with hidden-layer generators in several padded size buckets, one with
identity generators) and their ``transform`` and ``score_samples`` outputs. The
files hold the canonical state (groups in their order, features in the
caller's, no padding), so the size buckets, a speed choice rebuilt on reading,
can change without touching them; a change that breaks old files fails here.
The tolerance only allows for float rounding of other CPUs and BLAS builds.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from mne_oivae import OIVAE, read_oivae
from mne_oivae._engine import network
from mne_oivae._io import FORMAT_VERSION, OLDEST_READ_VERSION, read_state

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import (CURRENT, GOLDEN, GROUPS, MODELS, SCALED, UNITS,  # noqa: E402
                         golden_data, outputs)

ALL = sorted(MODELS) + sorted(SCALED) + sorted(CURRENT)

RTOL, ATOL = 1e-6, 1e-6


def _assert_golden_outputs(model, name):
    expected = np.load(GOLDEN / f"{name}_outputs.npz")
    for key, value in outputs(model, golden_data(name)).items():
        np.testing.assert_allclose(value, expected[key], rtol=RTOL, atol=ATOL, err_msg=key)


def _one_bucket_per_size(n_rows, out_width):
    return 0.0  # no padding at all: every group size its own bucket


def _one_bucket(n_rows, out_width):
    return 1e9  # all groups padded to the widest


@pytest.mark.parametrize("name", ALL)
def test_golden_files_read_with_the_same_outputs(name):
    fname = GOLDEN / f"{name}.h5"
    assert fname.stat().st_size < 25_000
    assert read_state(fname, "model")[0]["params"]["n_components"] == 3
    model = read_oivae(fname)
    assert model.groups_.indices[0].tolist() == GROUPS[0]
    # written in three buckets (make_golden.WRITTEN_BUCKET_COST), read in one
    assert len(model.module_.layout.buckets) == 1
    _assert_golden_outputs(model, name)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("cost, n_buckets", [(_one_bucket_per_size, 4), (_one_bucket, 1)])
def test_golden_files_read_in_any_bucket_layout(name, cost, n_buckets, monkeypatch):
    """Another size-bucket heuristic builds another layout from the same file."""
    monkeypatch.setattr(network, "bucket_cost_for", cost)
    model = read_oivae(GOLDEN / f"{name}.h5")
    assert len(model.module_.layout.buckets) == n_buckets
    _assert_golden_outputs(model, name)


def test_golden_files_are_the_oldest_format_still_read():
    """Format 3 files (before ``scale_``) read as fitted on the data as given."""
    import h5py

    for name in MODELS:
        with h5py.File(GOLDEN / f"{name}.h5", "r") as fid:
            assert fid.attrs["format_version"] == OLDEST_READ_VERSION == 3
            assert not any(key.startswith("out_weights") for key in fid["arrays/module"])
        assert read_oivae(GOLDEN / f"{name}.h5").scale_ == 1.0


def test_golden_file_of_format_4_holds_the_scale_and_is_gaussian():
    import h5py

    with h5py.File(GOLDEN / "scaled.h5", "r") as fid:
        assert fid.attrs["format_version"] == 4
    meta = read_state(GOLDEN / "scaled.h5", "model")[0]
    assert UNITS * 0.5 < meta["scale_"] < UNITS * 5
    model = read_oivae(GOLDEN / "scaled.h5")
    assert model.scale_ == meta["scale_"] and model.likelihood == "gaussian"


def test_golden_file_of_the_current_format_holds_the_likelihood():
    import h5py

    with h5py.File(GOLDEN / "student_t.h5", "r") as fid:
        assert fid.attrs["format_version"] == FORMAT_VERSION == 5
    model = read_oivae(GOLDEN / "student_t.h5")
    assert model.likelihood == "student_t" and UNITS * 0.5 < model.scale_ < UNITS * 5


def test_saved_files_are_the_current_format_with_the_scale(tmp_path):
    X = golden_data() * 1e-9
    model = OIVAE(n_components=3, groups=GROUPS, n_iter=20, batch_size=16, n_init=1,
                  random_state=0, verbose=False).fit(X)
    model.save(tmp_path / "m.h5")
    meta = read_state(tmp_path / "m.h5", "model")[0]
    assert FORMAT_VERSION == 5 and meta["scale_"] == model.scale_
    assert 1e-9 < model.scale_ < 1e-8
    _assert_same_outputs(read_oivae(tmp_path / "m.h5"), model, X)


def _assert_same_outputs(read, model, X):
    for key, value in outputs(read, X).items():
        np.testing.assert_allclose(value, outputs(model, X)[key], rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_checkpoint_resumes_in_another_bucket_layout(name, tmp_path, monkeypatch):
    """A checkpoint holds no layout: a fit stopped in one resumes in another."""
    X = golden_data()
    kwargs = dict(n_components=3, groups=GROUPS, batch_size=16, lam_warmup=0, n_init=1,
                  random_state=0, verbose=False, **MODELS[name])
    reference = OIVAE(n_iter=40, **kwargs).fit(X)
    ckpt = tmp_path / "fit.h5"
    OIVAE(n_iter=20, **kwargs).fit(X, checkpoint=ckpt)
    monkeypatch.setattr(network, "bucket_cost_for", _one_bucket_per_size)
    resumed = OIVAE(n_iter=40, **kwargs).fit(X, checkpoint=ckpt, resume=True)
    assert len(resumed.module_.layout.buckets) == 4 != len(reference.module_.layout.buckets)
    assert resumed.n_iter_ == 40 and len(resumed.history_["elbo"]) == 10
    # the same run up to float reassociation in the differently padded matmuls
    for key, value in reference.module_.canonical_state().items():
        np.testing.assert_allclose(resumed.module_.canonical_state()[key], value,
                                   rtol=1e-4, atol=1e-5, err_msg=key)
    assert torch.equal(torch.as_tensor(resumed.group_weights_ == 0),
                       torch.as_tensor(reference.group_weights_ == 0))

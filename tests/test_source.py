"""stc_to_groups, component maps and tables on real MEG source estimates."""

import re

import mne
import numpy as np
import pytest
from _source_fixtures import hcp_labels, meg_stc, src_ico3, subjects_dir  # noqa: F401

from mne_oivae.groups import GroupSpec
from mne_oivae.results import group_interactions, top_groups
from mne_oivae.source import (
    GroupedSource,
    component_maps,
    read_hcpmmp1_labels,
    stc_to_groups,
)


class _Fitted:
    """Stand-in for a fitted OIVAE: only what the adapter reads."""

    def __init__(self, weights, groups):
        self.group_weights_ = np.asarray(weights, dtype=float)
        self.groups_ = groups


def _epochs(stc, n):
    """n distinct 'epochs' of the real estimate (scaled copies)."""
    return [stc * (1.0 + 0.5 * i) for i in range(n)]


@pytest.mark.parametrize("mode", ["mean", "mean_flip", "pca_flip"])
def test_label_modes_equal_mne(mode, meg_stc, hcp_labels, src_ico3):  # noqa: F811
    stcs = _epochs(meg_stc, 3)
    ref = np.concatenate([tc.T for tc in mne.extract_label_time_course(
        stcs, hcp_labels, src_ico3, mode=mode, verbose=False)])
    raw = stc_to_groups(stcs, hcp_labels, mode=mode, src=src_ico3, standardize=None)
    assert raw.X.dtype == np.float32 and raw.X.shape == (3 * 24, 44)
    assert np.array_equal(raw.X, ref)
    assert raw.groups.names == [label.name for label in hcp_labels]
    assert np.array_equal(raw.groups.sizes, np.ones(44))
    # generator input, default standardisation: z-scored, invertible
    std = stc_to_groups((s for s in stcs), hcp_labels, mode=mode, src=src_ico3)
    assert np.allclose(std.X.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(std.X.std(axis=0), 1, atol=1e-5)
    assert np.allclose(std.inverse_transform(std.X), ref, rtol=1e-5,
                       atol=1e-6 * np.abs(ref).max())


def test_vertices_mode_picks_exact_vertices(meg_stc, hcp_labels):  # noqa: F811
    grouped = stc_to_groups(meg_stc, hcp_labels, mode="vertices", standardize=None)
    assert isinstance(grouped, GroupedSource) and grouped.subject == "fsaverage"
    n_total = 0
    for g, label in enumerate(hcp_labels):
        inside = meg_stc.in_label(label)
        verts = grouped.vertices_of(label.name)
        assert all(np.array_equal(a, b) for a, b in zip(verts, inside.vertices))
        cols = grouped.groups.indices[g]
        assert np.array_equal(grouped.X[:, cols], inside.data.T)
        n_total += len(cols)
    assert grouped.X.shape == (24, n_total)
    # the medial wall ("???") is in no label, so some source vertices are unused
    assert n_total < sum(len(v) for v in meg_stc.vertices)


def test_generator_grows_and_matches_list(meg_stc, hcp_labels):  # noqa: F811
    stcs = _epochs(meg_stc.copy().crop(0, 0.04), 40)  # 40 x 5 samples: several regrowths
    from_list = stc_to_groups(stcs, hcp_labels, mode="mean", standardize="global")
    from_gen = stc_to_groups(iter(stcs), hcp_labels, mode="mean", standardize="global")
    assert from_gen.X.shape == (200, 44)
    assert np.array_equal(from_list.X, from_gen.X)
    assert np.allclose(from_gen.scale_, from_gen.scale_[0])  # one pooled scale
    assert np.isclose(from_gen.X.std(), 1, atol=1e-4)
    # every row knows its estimate: the epochs that cross-validation keeps whole
    for grouped in (from_list, from_gen):
        np.testing.assert_array_equal(grouped.epochs, np.repeat(np.arange(40), 5))


def test_component_maps_paint_label_vertices(meg_stc, hcp_labels):  # noqa: F811
    grouped = stc_to_groups(meg_stc, hcp_labels, mode="vertices")
    weights = np.zeros((44, 3))
    weights[[0, 5], 0] = [2.0, 1.0]
    weights[7, 2] = 0.5
    maps = component_maps(_Fitted(weights, grouped.groups), grouped)
    assert isinstance(maps, mne.SourceEstimate) and maps.subject == "fsaverage"
    assert maps.data.shape == (1284, 3) and np.array_equal(maps.times, [0, 1, 2])
    for g in (0, 5, 7):
        assert np.array_equal(maps.in_label(hcp_labels[g]).data[:, 0] > 0,
                              np.full(len(grouped.group_rows[g]), weights[g, 0] > 0))
        assert np.all(maps.data[grouped.group_rows[g]] == weights[g])
    outside = np.setdiff1d(np.arange(1284), np.concatenate(grouped.group_rows))
    assert outside.size and not maps.data[outside].any()
    assert not maps.data[:, 1].any()  # pruned component


def test_component_maps_needs_matching_fit(meg_stc, hcp_labels):  # noqa: F811
    grouped = stc_to_groups(meg_stc, hcp_labels, mode="mean")
    other = GroupSpec.from_sizes([22, 22])
    with pytest.raises(ValueError, match="not fitted on these groups"):
        component_maps(_Fitted(np.ones((2, 2)), other), grouped)
    with pytest.raises(ValueError, match="not fitted"):
        component_maps(object(), grouped)


def test_top_groups_and_interactions():
    spec = GroupSpec.from_sizes([1, 1, 1, 1], names=["a", "b", "c", "d"])
    weights = np.array([[0.0, 3.0, 0.0], [2.0, 1.0, 0.0], [1.0, 0.0, 0.0],
                        [4.0, 0.0, 0.0]])
    model = _Fitted(weights, spec)
    top = top_groups(model, k=2)
    assert top == [[("d", 4.0), ("b", 2.0)], [("a", 3.0), ("b", 1.0)], []]
    assert top_groups(model, names=list("ABCD"), k=1)[1] == [("A", 3.0)]
    with pytest.raises(ValueError, match="names has 2 entries"):
        top_groups(model, names=["x", "y"])
    strength = group_interactions(model)
    assert np.allclose(strength, strength.T) and not np.diag(strength).any()
    # b and d share component 0 (0.5 * 1.0 after scaling by the peak 4)
    assert np.isclose(strength[1, 3], 0.5)
    assert np.isclose(strength[0, 1], 1 / 3)  # component 1: a=1, b=1/3
    assert strength[0, 2] == 0


def test_errors_name_the_problem(meg_stc, hcp_labels, src_ico3):  # noqa: F811
    stc = meg_stc
    other = stc.copy()
    other.subject = "sample"
    with pytest.raises(ValueError, match="labels are on subject 'fsaverage' but the "
                                         "source estimates on 'sample'"):
        stc_to_groups(other, hcp_labels, mode="mean")
    lonely = mne.Label(np.array([5000]), hemi="lh", name="lonely-lh", subject="fsaverage")
    with pytest.raises(ValueError, match="label 'lonely-lh' contains none"):
        stc_to_groups(stc, hcp_labels + [lonely], mode="mean")
    overlap = hcp_labels[0].copy()
    overlap.name = "copy-lh"
    with pytest.raises(ValueError, match="labels overlap.*disjoint"):
        stc_to_groups(stc, hcp_labels + [overlap], mode="vertices")
    stc_to_groups(stc, hcp_labels + [overlap], mode="mean")  # fine for time courses
    bad = stc.copy()
    bad.data[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"stcs\[1\] contains NaN or Inf"):
        stc_to_groups([stc, bad], hcp_labels, mode="mean")
    with pytest.raises(ValueError, match=r"stcs\[1\] has different vertices"):
        stc_to_groups([stc, stc.copy().crop(0, 0.05).in_label(hcp_labels[0])],
                      hcp_labels, mode="mean")
    vol = mne.VolSourceEstimate(np.zeros((3, 2)), [np.arange(3)], 0, 1)
    with pytest.raises(ValueError, match=re.escape(f"{hcp_labels[0].name!r} is a cortical "
                                                   "Label but the estimates are volume")):
        stc_to_groups(vol, hcp_labels, mode="mean")
    with pytest.raises(ValueError, match="'Left-Hippocampus' is an atlas region name but "
                                         "the estimates are cortical"):
        stc_to_groups(stc, hcp_labels + ["Left-Hippocampus"], mode="mean")
    vec = mne.VectorSourceEstimate(np.zeros((1284, 3, 2)), stc.vertices, 0, 1)
    with pytest.raises(TypeError, match="VectorSourceEstimate.*stc.magnitude"):
        stc_to_groups([vec], hcp_labels, mode="mean")
    with pytest.raises(ValueError, match="needs the source space"):
        stc_to_groups(stc, hcp_labels, mode="mean_flip")
    with pytest.raises(ValueError, match="empty generator"):
        stc_to_groups((s for s in []), hcp_labels, mode="mean")
    with pytest.raises(ValueError, match="Allowed values"):
        stc_to_groups(stc, hcp_labels, mode="max")
    with pytest.raises(ValueError, match="unique"):
        stc_to_groups(stc, [hcp_labels[0], hcp_labels[0]], mode="mean")
    with pytest.raises(TypeError, match="stcs must be"):
        stc_to_groups(stc.data, hcp_labels)


def test_read_hcpmmp1_labels(subjects_dir, hcp_labels, monkeypatch, tmp_path):  # noqa: F811
    assert len(hcp_labels) == 44 and all(lb.subject == "fsaverage" for lb in hcp_labels)
    assert not any(lb.name.startswith("???") for lb in hcp_labels)
    assert len(read_hcpmmp1_labels(subjects_dir, include_unknown=True, verbose=False)) == 46
    assert len(read_hcpmmp1_labels(subjects_dir, combined=False, verbose=False)) == 360
    # license: without accept=True a missing parcellation asks, and "no" stops it
    (tmp_path / "fsaverage" / "label").mkdir(parents=True)
    monkeypatch.setattr(mne.datasets.utils, "_safe_input", lambda msg: "n")
    with pytest.raises(RuntimeError, match="agree to the license"):
        read_hcpmmp1_labels(tmp_path)
    with pytest.raises(TypeError, match="accept"):
        read_hcpmmp1_labels(tmp_path, accept="yes")


@pytest.mark.parametrize("mode", ["mean", "vertices"])
def test_grouped_source_written_to_disk(meg_stc, hcp_labels, tmp_path, mode):  # noqa: F811
    from mne_oivae._recordings import Recordings

    stcs = _epochs(meg_stc.copy().crop(0, 0.04), 7)
    in_memory = stc_to_groups(stcs, hcp_labels, mode=mode, standardize="global")
    fname = tmp_path / "sub-01.npy"
    on_disk = stc_to_groups(iter(stcs), hcp_labels, mode=mode, standardize="global",
                            fname=fname)
    assert isinstance(on_disk.X, np.memmap) and not on_disk.X.flags.writeable
    assert str(on_disk.X.filename) == str(fname)
    np.testing.assert_array_equal(np.load(fname), in_memory.X)
    np.testing.assert_array_equal(on_disk.scale_, in_memory.scale_)
    np.testing.assert_array_equal(on_disk.epochs, in_memory.epochs)
    assert [p.name for p in tmp_path.iterdir()] == ["sub-01.npy"]  # no temporary left
    recordings = Recordings([on_disk.X, fname])  # read back by offset, not mapped
    np.testing.assert_array_equal(recordings[:], np.concatenate([in_memory.X] * 2))
    with pytest.raises(FileExistsError, match="overwrite=True"):
        stc_to_groups(stcs, hcp_labels, mode=mode, fname=fname)
    with pytest.raises(ValueError, match="must end with .npy"):
        stc_to_groups(stcs, hcp_labels, mode=mode, fname=tmp_path / "x.h5")
    with pytest.raises(ValueError, match="empty generator"):
        stc_to_groups(iter([]), hcp_labels, mode=mode, fname=tmp_path / "empty.npy")
    assert not (tmp_path / "empty.npy").exists()

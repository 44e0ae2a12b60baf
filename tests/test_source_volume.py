"""stc_to_groups and component_maps on volume and mixed source estimates."""

import re

import mne
import nibabel as nib
import numpy as np
import pytest
from _source_fixtures import hcp_labels, meg_stc, src_ico3, subjects_dir  # noqa: F401
from _volume_fixtures import (AFFINE, REGIONS, TINY, atlas_fname,  # noqa: F401
                              make_atlas_values, random_vol_stc, vol_src)

from mne_oivae.source import component_maps, stc_to_groups

NAMES = list(REGIONS)


class _Fitted:
    def __init__(self, weights, groups):
        self.group_weights_ = np.asarray(weights, dtype=float)
        self.groups_ = groups


@pytest.fixture(scope="module")
def vol_stcs(vol_src):  # noqa: F811
    return [random_vol_stc([vol_src[0]["vertno"]], 6, seed) for seed in range(3)]


@pytest.fixture(scope="module")
def mixed(meg_stc, src_ico3, vol_src):  # noqa: F811
    """A mixed source space (fsaverage ico-3 cortex + the sphere grid) and estimates."""
    src = src_ico3 + vol_src
    vol = random_vol_stc([vol_src[0]["vertno"]], meg_stc.shape[1], 7)
    stc = mne.MixedSourceEstimate(np.concatenate([meg_stc.data, vol.data]),
                                  meg_stc.vertices + vol.vertices, meg_stc.tmin,
                                  meg_stc.tstep, "fsaverage")
    return src, [stc, stc * 2.0]


def _region_rows(src):
    """Source points per region, found from their positions (src["rr"], not the grid)."""
    s = src[0]
    vox = mne.transforms.apply_trans(np.linalg.inv(AFFINE), 1e3 * s["rr"][s["vertno"]])
    values = make_atlas_values()[tuple(np.round(vox).astype(int).T)]
    return [np.flatnonzero(values == value) for value in REGIONS.values()]


def test_volume_label_mode_equals_mne(vol_stcs, vol_src, atlas_fname):  # noqa: F811
    ref = np.concatenate([tc.T for tc in mne.extract_label_time_course(
        vol_stcs, (atlas_fname, NAMES), vol_src, mode="mean", mri_resolution=False,
        verbose=False)])
    grouped = stc_to_groups(vol_stcs, NAMES, mode="mean", src=vol_src, atlas=atlas_fname,
                            standardize=None)
    assert grouped.kind == "volume" and grouped.groups.names == NAMES
    assert grouped.X.shape == (18, 3) and np.array_equal(grouped.X, np.float32(ref))
    # a nibabel image works as well as its file
    image = stc_to_groups(iter(vol_stcs), NAMES, mode="mean", src=vol_src,
                          atlas=nib.load(atlas_fname), standardize=None)
    assert np.array_equal(image.X, grouped.X)


def test_volume_vertices_mode_and_maps(vol_stcs, vol_src, atlas_fname):  # noqa: F811
    grouped = stc_to_groups(vol_stcs, NAMES, mode="vertices", src=vol_src,
                            atlas=atlas_fname, standardize=None)
    expected = _region_rows(vol_src)
    assert [len(r) for r in expected] == [297, 227, 110]
    data = np.concatenate([stc.data for stc in vol_stcs], axis=1)
    for g, rows in enumerate(expected):
        assert np.array_equal(grouped.group_rows[g], rows)
        assert np.array_equal(grouped.vertices_of(NAMES[g])[0], vol_src[0]["vertno"][rows])
        assert np.array_equal(grouped.X[:, grouped.groups.indices[g]],
                              np.float32(data[rows].T))
    weights = np.array([[1.0, 0.0], [0.0, 2.0], [0.5, 0.0]])
    maps = component_maps(_Fitted(weights, grouped.groups), grouped)
    assert isinstance(maps, mne.VolSourceEstimate) and maps.data.shape == (691, 2)
    for rows, w in zip(expected, weights):
        assert np.all(maps.data[rows] == w)
    outside = np.setdiff1d(np.arange(691), np.concatenate(expected))
    assert outside.size == 691 - 634 and not maps.data[outside].any()


def test_mixed_cortex_and_regions_in_one_call(mixed, hcp_labels, vol_src,  # noqa: F811
                                              atlas_fname):  # noqa: F811
    src, stcs = mixed
    labels = hcp_labels + NAMES
    grouped = stc_to_groups(stcs, labels, src=src, atlas=atlas_fname, standardize=None)
    assert grouped.kind == "mixed" and grouped.X.shape == (48, 47)
    cortex = np.concatenate([tc.T for tc in mne.extract_label_time_course(
        stcs, hcp_labels, src, mode="mean_flip", verbose=False)])
    assert np.array_equal(grouped.X[:, :44], np.float32(cortex[:, :44]))
    volume = np.concatenate([tc.T for tc in mne.extract_label_time_course(
        [stc.volume() for stc in stcs], (atlas_fname, NAMES), vol_src, mode="mean",
        mri_resolution=False, verbose=False)])
    assert np.array_equal(grouped.X[:, 44:], np.float32(volume))
    # regions first, cortex after: the columns follow the labels
    swapped = stc_to_groups(stcs, NAMES[::-1] + hcp_labels[:2], src=src,
                            atlas=atlas_fname, standardize=None)
    assert np.array_equal(swapped.X, np.float32(np.concatenate([volume[:, ::-1],
                                                                  cortex[:, :2]], 1)))

    vertices = stc_to_groups(stcs, labels, mode="vertices", src=src, atlas=atlas_fname)
    n_surf = sum(len(v) for v in vertices.vertices[:2])
    for g, rows in enumerate(_region_rows(vol_src)):
        assert np.array_equal(vertices.group_rows[44 + g], n_surf + rows)
        lh, rh, vol = vertices.vertices_of(44 + g)
        assert lh.size == rh.size == 0 and np.array_equal(vol, vol_src[0]["vertno"][rows])
    weights = np.zeros((47, 2))
    weights[0, 0], weights[45, 1] = 3.0, 1.5
    maps = component_maps(_Fitted(weights, vertices.groups), vertices)
    assert isinstance(maps, mne.MixedSourceEstimate) and maps.subject == "fsaverage"
    assert np.all(maps.data[vertices.group_rows[0], 0] == 3.0)
    assert np.all(maps.data[vertices.group_rows[45], 1] == 1.5)
    assert np.count_nonzero(maps.data) == len(vertices.group_rows[0]) + 227


def test_volume_errors(vol_stcs, vol_src, atlas_fname, tmp_path, mixed,  # noqa: F811
                       hcp_labels):  # noqa: F811
    stc = vol_stcs[0]
    with pytest.raises(ValueError, match="volume source estimates are grouped by the "
                                         "regions of an atlas volume: pass atlas="):
        stc_to_groups(stc, NAMES, mode="mean", src=vol_src)
    with pytest.raises(ValueError, match="need their source space"):
        stc_to_groups(stc, NAMES, mode="vertices", atlas=atlas_fname)
    with pytest.raises(ValueError, match='mode="mean_flip" needs source orientations'):
        stc_to_groups(stc, NAMES, mode="mean_flip", src=vol_src, atlas=atlas_fname)
    shifted = tmp_path / "shifted.mgz"
    affine = AFFINE.copy()
    affine[0, 3] += 4.0
    nib.save(nib.MGHImage(make_atlas_values(), affine), shifted)
    small = nib.MGHImage(make_atlas_values()[:30], AFFINE)
    for bad in (shifted, small):
        with pytest.raises(ValueError, match="on a different voxel grid.*than the MRI of "
                                             "the source space"):
            stc_to_groups(stc, NAMES, mode="mean", src=vol_src, atlas=bad)
    with pytest.raises(ValueError, match=re.escape(
            f"atlas region 'Left-Amygdala' (value {TINY[1]}) holds none of the 691 volume "
            "source points")):
        stc_to_groups(stc, NAMES + [TINY[0]], mode="mean", src=vol_src, atlas=atlas_fname)
    with pytest.raises(ValueError, match="'Right-Amygdala' .* is not in the atlas"):
        stc_to_groups(stc, ["Right-Amygdala"], mode="mean", src=vol_src, atlas=atlas_fname)
    with pytest.raises(ValueError, match="'Left-Hipocampus' is not a region name.*did you "
                                         "mean \\['Left-Hippocampus'"):
        stc_to_groups(stc, ["Left-Hipocampus"], mode="mean", src=vol_src,
                      atlas=atlas_fname)
    with pytest.raises(FileNotFoundError, match="atlas file not found"):
        stc_to_groups(stc, NAMES, mode="mean", src=vol_src, atlas=tmp_path / "no.mgz")
    fractional = nib.MGHImage(np.float32(make_atlas_values() + 0.5), AFFINE)
    nib.save(fractional, tmp_path / "float.mgz")
    with pytest.raises(ValueError, match="non-integer values"):
        stc_to_groups(stc, NAMES, mode="mean", src=vol_src, atlas=tmp_path / "float.mgz")
    mixed_src, mixed_stcs = mixed
    with pytest.raises(ValueError, match="src is a volume source space but the estimates "
                                         "are mixed"):
        stc_to_groups(mixed_stcs, hcp_labels, mode="mean", src=vol_src)
    with pytest.raises(ValueError, match=re.escape("stcs[1] is a VolSourceEstimate but "
                                                   "stcs[0] a mixed estimate")):
        stc_to_groups([mixed_stcs[0], stc], NAMES, mode="mean", src=mixed_src,
                      atlas=atlas_fname)
    sphere_only = mne.setup_volume_source_space(pos=12.0, sphere=(0.0, 0.0, 0.0, 0.07),
                                                verbose=False)
    with pytest.raises(ValueError, match="discrete source space .*set up without an MRI"):
        stc_to_groups(stc, NAMES, mode="mean", src=sphere_only, atlas=atlas_fname)

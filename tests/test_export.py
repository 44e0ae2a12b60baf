"""save_component_maps: GIFTI and NIfTI files read back with nibabel, value by value."""

import mne
import nibabel as nib
import numpy as np
import pytest
from _source_fixtures import meg_stc, src_ico3, subjects_dir  # noqa: F401
from _volume_fixtures import AFFINE, atlas_fname, random_vol_stc, vol_src  # noqa: F401

from mne_oivae.source import save_component_maps


def _maps(stc, n_components=3):
    """Distinct non-negative 'component maps' on the estimate's source points."""
    data = np.abs(stc.data[:, :n_components]) / np.abs(stc.data).max()
    return stc.__class__(data, stc.vertices, 0.0, 1.0, stc.subject)


def _gifti_values(fname):
    image = nib.load(fname)
    return image, np.stack([d.data for d in image.darrays], axis=1)


def test_gifti_on_the_surface(meg_stc, src_ico3, subjects_dir, tmp_path):  # noqa: F811
    maps = _maps(meg_stc)
    fnames = save_component_maps(maps, tmp_path / "meg", src=src_ico3, verbose=False)
    assert fnames == [tmp_path / "meg-lh.func.gii", tmp_path / "meg-rh.func.gii"]
    for hemi, fname, vertno, values, structure in zip(
            ("lh", "rh"), fnames, maps.vertices, np.split(maps.data, [642]),
            ("CortexLeft", "CortexRight")):
        image, data = _gifti_values(fname)
        # one value per vertex of the subject's surface, as freeview/Workbench need
        n_surface = len(nib.freesurfer.read_geometry(
            subjects_dir / "fsaverage" / "surf" / f"{hemi}.white")[0])
        assert data.shape == (n_surface, 3) == (10242, 3)
        assert data.dtype == np.float32
        assert np.array_equal(data[vertno], np.float32(values))
        assert not np.delete(data, vertno, axis=0).any()
        assert [d.meta["Name"] for d in image.darrays] == ["component 0", "component 1",
                                                           "component 2"]
        assert image.meta["AnatomicalStructurePrimary"] == structure


def test_nifti_on_the_mri_grid(vol_src, tmp_path):  # noqa: F811
    maps = _maps(random_vol_stc([vol_src[0]["vertno"]], 4, seed=3))
    (fname,) = save_component_maps(maps, tmp_path / "vol", src=vol_src, verbose=False)
    assert fname == tmp_path / "vol-vl.nii.gz"
    image = nib.load(fname)
    assert image.shape == (40, 40, 40, 3) and np.allclose(image.affine, AFFINE)
    data = np.asarray(image.dataobj)
    assert data.dtype == np.float32
    # every source point sits on a voxel centre: the voxel holds its value exactly
    s = vol_src[0]
    vox = mne.transforms.apply_trans(np.linalg.inv(AFFINE), 1e3 * s["rr"][s["vertno"]])
    ijk = tuple(np.round(vox).astype(int).T)
    assert np.allclose(vox, np.round(vox), atol=1e-6)
    assert np.array_equal(data[ijk], np.float32(maps.data))
    # between source points the map is interpolated, outside them it is 0
    assert data.max() <= np.float32(maps.data.max()) and data[0, 0, 0].sum() == 0


def test_mixed_writes_three_files(meg_stc, src_ico3, vol_src, tmp_path):  # noqa: F811
    vol = random_vol_stc([vol_src[0]["vertno"]], meg_stc.shape[1], seed=4)
    mixed = _maps(mne.MixedSourceEstimate(np.concatenate([meg_stc.data, vol.data]),
                                          meg_stc.vertices + vol.vertices, 0, 1,
                                          "fsaverage"), n_components=2)
    fnames = save_component_maps(mixed, tmp_path / "mixed", src=src_ico3 + vol_src,
                                 verbose=False)
    assert [f.name for f in fnames] == ["mixed-lh.func.gii", "mixed-rh.func.gii",
                                        "mixed-vl.nii.gz"]
    _, rh = _gifti_values(fnames[1])
    assert np.array_equal(rh[meg_stc.vertices[1]], np.float32(mixed.data[642:1284]))
    volume = nib.load(fnames[2])
    assert volume.shape == (40, 40, 40, 2)
    assert np.isclose(np.asarray(volume.dataobj).max(), mixed.data[1284:].max())


def test_overwrite_is_all_or_nothing(meg_stc, src_ico3, vol_src, tmp_path):  # noqa: F811
    maps = _maps(meg_stc)
    lh, rh = save_component_maps(maps, tmp_path / "m", src=src_ico3, verbose=False)
    before = lh.read_bytes()
    rh.unlink()
    with pytest.raises(FileExistsError, match="m-lh.func.gii.*overwrite=True"):
        save_component_maps(maps * 2, tmp_path / "m", src=src_ico3)
    assert lh.read_bytes() == before and not rh.exists()  # nothing written
    save_component_maps(maps * 2, tmp_path / "m", src=src_ico3, overwrite=True,
                        verbose=False)
    assert np.array_equal(_gifti_values(lh)[1][maps.vertices[0]],
                          np.float32(2 * maps.data[:642]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-lh.func.gii",
                                                          "m-rh.func.gii"]


def test_export_errors(meg_stc, src_ico3, vol_src, atlas_fname, shared_data,  # noqa: F811
                       tmp_path):
    sample = mne.read_source_estimate(shared_data / "mne_testing" /
                                      "sample_audvis_trunc-meg")
    with pytest.raises(ValueError, match="the lh maps do not match the surface of src: "
                                         "their 3956 vertices .* 10242-vertex surface"):
        save_component_maps(_maps(sample), tmp_path / "x", src=src_ico3)
    maps = _maps(meg_stc)
    with pytest.raises(ValueError, match="src is a volume source space but maps is a "
                                         "SourceEstimate"):
        save_component_maps(maps, tmp_path / "x", src=vol_src)
    other = maps.copy()
    other.subject = "sample"
    with pytest.raises(ValueError, match="maps are on subject 'sample' but src on "
                                         "'fsaverage'"):
        save_component_maps(other, tmp_path / "x", src=src_ico3)
    with pytest.raises(ValueError, match="base name"):
        save_component_maps(maps, tmp_path / "x-lh.func.gii", src=src_ico3)
    with pytest.raises(TypeError, match="maps must be"):
        save_component_maps(maps.data, tmp_path / "x", src=src_ico3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_component_maps(maps, tmp_path / "missing" / "x", src=src_ico3)
    vol = _maps(random_vol_stc([vol_src[0]["vertno"][:-1]], 3, seed=5))
    with pytest.raises(ValueError, match="volume source points \\(690\\) are not those"):
        save_component_maps(vol, tmp_path / "x", src=vol_src)
    no_grid = mne.setup_volume_source_space(pos=12.0, mri=atlas_fname,
                                            sphere=(0.0, 0.0, 0.0, 0.07),
                                            add_interpolator=False, verbose=False)
    with pytest.raises(ValueError, match="no MRI grid to write on.*add_interpolator=True"):
        save_component_maps(_maps(random_vol_stc([no_grid[0]["vertno"]], 3, seed=6)),
                            tmp_path / "x", src=no_grid)
    assert not list(tmp_path.iterdir())

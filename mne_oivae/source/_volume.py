"""Atlas regions of volume source spaces: which source points a region covers."""

import difflib
import os
from pathlib import Path
from typing import NamedTuple

import mne
import numpy as np
from mne.transforms import apply_trans
from mne.utils import _validate_type


class Atlas(NamedTuple):
    """An integer-valued segmentation volume (e.g. ``aseg.mgz``)."""

    values: np.ndarray  # int64, shape of the image
    affine: np.ndarray  # voxel -> scanner RAS, mm
    name: str


def read_atlas(atlas):
    """Load an atlas given as a path or a nibabel image, checking it is a labelling."""
    import nibabel as nib

    _validate_type(atlas, ("path-like", nib.spatialimages.SpatialImage), "atlas",
                   "path-like or nibabel image")
    if isinstance(atlas, (str, os.PathLike)):
        path = Path(atlas).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"atlas file not found: {path}")
        name, atlas = path.name, nib.load(path)
    else:
        name = type(atlas).__name__
    values = np.asarray(atlas.dataobj)
    if values.ndim != 3:
        raise ValueError(f"atlas {name} must be a 3D volume, got shape {values.shape}")
    if values.dtype.kind == "f":
        if not (np.isfinite(values).all() and (values == np.round(values)).all()):
            raise ValueError(f"atlas {name} holds non-integer values; a segmentation "
                             "labels every voxel with an integer region number")
    return Atlas(values.astype(np.int64), np.asarray(atlas.affine, dtype=float), name)


def region_values(names):
    """FreeSurfer lookup-table numbers of atlas region names."""
    lut = mne.read_freesurfer_lut()[0]
    unknown = [name for name in names if name not in lut]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(lut), n=3)
        raise ValueError(f"volume label {unknown[0]!r} is not a region name of "
                         f"FreeSurfer's lookup table (FreeSurferColorLUT.txt)"
                         + (f"; did you mean {close}?" if close else ""))
    return [lut[name] for name in names]


def source_point_values(atlas, src):
    """The atlas value at every used source point of each volume source space.

    As ``mne.extract_label_time_course(..., mri_resolution=False)``: a source
    point belongs to the region of the atlas voxel nearest to it. Points
    outside the atlas get -1.
    """
    out = []
    for s in src:
        _check_grid(atlas, s)
        ijk = np.array(np.unravel_index(s["vertno"], s["shape"], order="F")).T
        vox = apply_trans(np.linalg.inv(s["vox_mri_t"]["trans"]),
                          apply_trans(s["src_mri_t"]["trans"], ijk))
        inside = ((vox >= -0.5) & (vox < np.array(atlas.values.shape) - 0.5)).all(axis=1)
        values = np.full(len(vox), -1, dtype=np.int64)
        values[inside] = atlas.values[tuple(np.round(vox[inside]).astype(int).T)]
        out.append(values)
    return out


def _check_grid(atlas, s):
    shape = tuple(int(s[f"mri_{d}"]) for d in ("width", "height", "depth"))
    vox_ras = s["mri_ras_t"]["trans"] @ s["vox_mri_t"]["trans"]
    vox_ras[:3] *= 1e3  # m -> mm, the unit of image affines
    if atlas.values.shape != shape or not np.allclose(atlas.affine, vox_ras, atol=1e-3):
        raise ValueError(
            f"atlas {atlas.name} is on a different voxel grid (shape "
            f"{atlas.values.shape}) than the MRI of the source space (shape {shape}, "
            f"{s.get('mri_volume_name')}); use a segmentation of the same subject's MRI "
            "(e.g. its mri/aseg.mgz), resampled to that MRI")

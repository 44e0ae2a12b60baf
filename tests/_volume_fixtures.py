"""A synthetic atlas and a small volume source space on its grid, built in the test.

The atlas is a 40^3 grid of 4 mm voxels in FreeSurfer's conformed orientation
(written with nibabel as ``aseg.mgz``); the volume source space is MNE's sphere
model sampled every 12 mm on that grid (691 points, each on a voxel centre).
"""

import mne
import numpy as np
import pytest

# FreeSurfer lookup-table values of the synthetic regions
REGIONS = {"Left-Thalamus-Proper": 10, "Right-Thalamus-Proper": 49,
           "Left-Hippocampus": 17}
TINY = ("Left-Amygdala", 18)  # one voxel that holds no source point
AFFINE = np.array([[-4.0, 0, 0, 80], [0, 0, 4, -80], [0, -4, 0, 80], [0, 0, 0, 1]])


def make_atlas_values():
    values = np.zeros((40, 40, 40), dtype=np.int32)
    values[5:20] = REGIONS["Left-Thalamus-Proper"]
    values[20:35, :, 10:25] = REGIONS["Right-Thalamus-Proper"]
    values[20:35, :, 25:35] = REGIONS["Left-Hippocampus"]
    values[0, 0, 0] = TINY[1]
    return values


@pytest.fixture(scope="session")
def atlas_fname(tmp_path_factory):
    import nibabel as nib

    fname = tmp_path_factory.mktemp("atlas") / "aseg.mgz"
    nib.save(nib.MGHImage(make_atlas_values(), AFFINE), fname)
    return fname


@pytest.fixture(scope="session")
def vol_src(atlas_fname):
    return mne.setup_volume_source_space(pos=12.0, mri=atlas_fname,
                                         sphere=(0.0, 0.0, 0.0, 0.07), verbose=False)


def random_vol_stc(vertices, n_times, seed, klass=mne.VolSourceEstimate, subject=None):
    rng = np.random.default_rng(seed)
    n = sum(len(v) for v in vertices)
    return klass(rng.standard_normal((n, n_times)) * 1e-9, vertices, tmin=0.0,
                 tstep=0.01, subject=subject)

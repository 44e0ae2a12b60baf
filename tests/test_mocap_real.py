"""The real CMU subject-7 files (shared data): parsers, loader, registry, kinematics."""

import shutil

import numpy as np
import pytest

from mne_oivae.mocap import forward_kinematics, load_cmu_trials, read_amc, read_asf
from mne_oivae.mocap._registry import REGISTRY

FRAMES = (316, 329, 415, 449, 517, 417, 379, 362, 306, 301, 315, 263)  # 07_01 ... 07_12


@pytest.fixture(scope="module")
def real(shared_data):
    folder = shared_data / "cmu_mocap"
    if not (folder / "subjects" / "07" / "07.asf").is_file():
        pytest.skip(f"real CMU subject 7 files not in {folder}")
    return folder


@pytest.fixture(scope="module")
def train(real):
    return load_cmu_trials(7, range(1, 11), path=real, download=False, verbose=False)


def test_parsers_on_real_files(real):
    skeleton = read_asf(real / "subjects" / "07" / "07.asf")
    assert len(skeleton) == 31 and skeleton.n_channels == 62
    assert skeleton.channel_names == REGISTRY[7].channel_names
    assert skeleton.bones["ltibia"].dof == ("rx",)
    np.testing.assert_allclose(skeleton.bones["ltibia"].limits, [[-10, 170]])
    for trial, n_frames in enumerate(FRAMES, start=1):
        motion = read_amc(real / "subjects" / "07" / f"07_{trial:02d}.amc", skeleton)
        assert motion.data.shape == (n_frames, 62), trial
        np.testing.assert_array_equal(motion.frame_numbers, np.arange(1, n_frames + 1))
    # 07_12 starts with an all-zero frame (root at the origin, every angle 0)
    assert not motion.data[0].any() and motion.data[1].any()


def test_loader_on_real_files(train, real):
    assert sum(FRAMES[:10]) == 3791  # the paper's "up to 3791 frames"
    assert train.X.shape == (3791, 59) and train.groups.n_groups == 29
    np.testing.assert_array_equal(train.n_frames, FRAMES[:10])
    assert train.X.min() >= 0 and train.X.max() <= 1 + 1e-6
    # clavicles (2e-13 degrees of rounding) and fingers (2e-5) stay at 0, not noise
    still = [i for i, name in enumerate(train.channel_names)
             if name.split("_")[0] in ("lclavicle", "rclavicle", "lfingers", "rfingers")]
    assert len(still) == 6 and np.abs(train.X[:, still]).max() < 1e-3
    knees = train.X[:, train.channel_names.index("ltibia_rx")]
    assert knees.std() > 0.25  # the knee moves 0-74 degrees
    kept = load_cmu_trials(7, range(1, 11), path=real, drop_constant=True,
                           download=False, verbose=False)
    assert kept.X.shape == (3791, 53) and kept.groups.n_groups == 25


def test_brisk_walk_on_training_scaler(train, real):
    brisk = load_cmu_trials(7, 12, path=real, scaler=train.scaler, download=False,
                            verbose=False)
    assert brisk.X.shape == (263, 59) and brisk.channel_names == train.channel_names
    np.testing.assert_allclose(train.scaler.inverse_transform(brisk.X[1:2]),
                               read_amc(brisk.fnames[0], train.skeleton).data[1:2, 3:],
                               atol=1e-4)
    # the brisk walk leaves the training range; its all-zero first frame far more
    outside = np.maximum(brisk.X - 1, -brisk.X).clip(min=0)
    assert outside[1:].max() > 0.1 and outside[0].max() > 5 * outside[1:].max()


def test_registry_rejects_truncated_file(real, tmp_path):
    folder = tmp_path / "subjects" / "07"
    folder.mkdir(parents=True)
    shutil.copy(real / "subjects" / "07" / "07.asf", folder)
    lines = (real / "subjects" / "07" / "07_09.amc").read_text().splitlines()
    cut = lines.index("300")  # frame 300 starts here: keep frames 1-299
    (folder / "07_09.amc").write_text("\n".join(lines[:cut]) + "\n")
    with pytest.raises(ValueError, match=r"07_09.amc has 299 frames, but CMU's trial "
                       r"07_09 has 306\. The file is truncated"):
        load_cmu_trials(7, 9, path=tmp_path, download=False, verbose=False)


def test_real_skeleton_heights(train):
    positions = forward_kinematics(train.skeleton, train.scaler.inverse_transform(
        train.X[::50]), channel_names=train.channel_names, units="m")
    height = np.ptp(positions[..., 1], axis=1)
    assert ((height > 1.4) & (height < 1.6)).all()  # the README's 1.45-1.56 m


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow),
                                  pytest.param(2, marks=pytest.mark.slow)])
def test_recipe_anatomy_on_real_walks(train, seed):
    """MOCAP_RECIPE keeps both knees and prunes the joints that never move.

    Guards the recipe against changes of the model's units or training (the
    data's ``scale_`` change once cut it to 3 components and pruned a knee).
    """
    from mne_oivae import OIVAE
    from mne_oivae.presets import MOCAP_RECIPE

    model = OIVAE(groups=train.groups, **MOCAP_RECIPE, random_state=seed,
                  verbose=False).fit(train.X)
    names = list(train.groups.names)
    share = model.group_weights_.sum(1) / model.group_weights_.sum()
    # measured on seeds 0-2: ltibia 5.6-7.5 %, rtibia 4.2-5.5 %, toes 1.5-1.8 %
    assert share[names.index("ltibia")] > 0.04 and share[names.index("rtibia")] > 0.03
    for never_moves in ("lclavicle", "rclavicle", "lfingers", "rfingers"):
        assert share[names.index(never_moves)] == 0, never_moves
    assert share[names.index("ltoes")] + share[names.index("rtoes")] < 0.025
    assert model.active_components_.size >= 12

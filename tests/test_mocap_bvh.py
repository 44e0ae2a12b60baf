"""BVH reader: hierarchy and frames, the ASF/AMC conversion, malformed files, real files."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _mocap_fixtures import make_amc_text, make_asf_text, make_bvh_text, make_motion
from mne_oivae import OIVAE
from mne_oivae.mocap import (CMU_BVH_TO_ASF, ChannelScaler, MocapParseError, read_amc,
                             read_asf, read_bvh)
from test_mocap_parsers import _FUZZ, _line_of, _mutate, _only_parse_errors, _replace_line

MOTION = make_motion(12, seed=3)


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory):
    fname = tmp_path_factory.mktemp("asf") / "07.asf"
    fname.write_text(make_asf_text())
    return read_asf(fname)


@pytest.fixture(scope="module")
def bvh_text(skeleton):
    return make_bvh_text(skeleton, MOTION)


def _write(tmp_path, text, name="f.bvh"):
    fname = tmp_path / name
    fname.write_text(text)
    return fname


def test_read_bvh_hierarchy_and_frames(tmp_path, bvh_text):
    motion = read_bvh(_write(tmp_path, bvh_text))
    assert len(motion.joint_names) == 31 and motion.joint_names[:3] == [
        "Hips", "LHipJoint", "LeftUpLeg"]
    assert motion.parents[0] == -1 and motion.parents[2] == 1
    assert motion.channel_names[:4] == ["Hips_tx", "Hips_ty", "Hips_tz", "Hips_rz"]
    assert motion.data.shape == (12, 96) and motion.frame_time == pytest.approx(0.0083333)
    # the integer rest pose is recognised and left out; without it nothing is dropped
    assert motion.rest_pose is not None and not motion.rest_pose[3:].any()
    np.testing.assert_allclose(motion.data[:, :3], MOTION["root"][:, :3], atol=1e-6)
    plain = read_bvh(_write(tmp_path, make_bvh_text(read_asf_of(tmp_path), MOTION,
                                                    rest_frame=False), "plain.bvh"))
    assert plain.rest_pose is None and plain.n_frames == 12
    forced = read_bvh(tmp_path / "plain.bvh", rest_frame=True)
    assert forced.n_frames == 11
    np.testing.assert_array_equal(forced.rest_pose, plain.data[0])


def read_asf_of(tmp_path):
    return read_asf(_write(tmp_path, make_asf_text(), "07.asf"))


def test_bvh_to_amc_matches_amc(tmp_path, skeleton, bvh_text):
    """R = C M C^-1 inverted bone by bone gives back the AMC angles (6 digits written)."""
    motion = read_bvh(_write(tmp_path, bvh_text), skeleton)
    amc = read_amc(_write(tmp_path, make_amc_text(MOTION), "f.amc"), skeleton)
    assert motion.channel_names == amc.channel_names
    np.testing.assert_allclose(motion.data, amc.data, atol=1e-4)
    np.testing.assert_array_equal(motion.frame_numbers, np.arange(1, 13))


def test_bvh_without_asf_fits_oivae(tmp_path, bvh_text):
    motion = read_bvh(_write(tmp_path, bvh_text))
    picks, groups = motion.rotation_groups()
    assert picks.size == 93 and groups.n_groups == 31 and groups.names[0] == "Hips"
    X = ChannelScaler(0.1).fit_transform(motion.data[:, picks])
    model = OIVAE(n_components=2, groups=groups, n_iter=5, batch_size=12, n_init=1,
                  random_state=0, verbose=False).fit(X)
    assert model.group_weights_.shape == (31, 2)


def test_bvh_mapping_errors(tmp_path, skeleton, bvh_text):
    fname = _write(tmp_path, bvh_text)
    mapping = {k: v for k, v in CMU_BVH_TO_ASF.items() if k != "LeftLeg"}
    with pytest.raises(ValueError, match="'LeftLeg' .* maps to no bone"):
        read_bvh(fname, skeleton, mapping=mapping)
    # the knee (ltibia, rx only) cannot take the thigh's 3-axis rotation
    swapped = dict(CMU_BVH_TO_ASF, LeftLeg="lfemur", LeftUpLeg="ltibia")
    with pytest.raises(ValueError, match="bone 'ltibia' has no dof for"):
        read_bvh(fname, skeleton, mapping=swapped)
    with pytest.raises(TypeError, match="skeleton must be a Skeleton"):
        read_bvh(fname, "07.asf")
    with pytest.raises(ValueError, match="needs the skeleton"):
        read_bvh(fname, mapping=CMU_BVH_TO_ASF)
    with pytest.raises(TypeError, match="rest_frame must be"):
        read_bvh(fname, rest_frame="yes")


@pytest.mark.parametrize("pattern, new, expected", [
    ("^HIERARCHY", "HIER", "expected HIERARCHY"),
    ("JOINT LeftLeg", "JOINT", "expected JOINT <name>, End Site or '}'"),
    ("CHANNELS 6", "  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation",
     "expected CHANNELS <n> followed"),
    ("CHANNELS 6", "  CHANNELS 6 Xposition Xposition Zposition Zrotation Yrotation "
     "Xrotation", "expected CHANNELS <n> .*, each once"),
    ("OFFSET 1.36", "OFFSET 1 2", "expected 3 numbers after OFFSET"),
    ("^Frames:", "Frames: 99", "expected 99 frame lines"),
    ("^Frame Time", "Frame Time: -1", "expected a positive frame time"),
    ("^MOTION", "MOTIONS", "expected MOTION after the hierarchy"),
])
def test_read_bvh_malformed(tmp_path, bvh_text, pattern, new, expected):
    lineno = _line_of(bvh_text, pattern)
    with pytest.raises(MocapParseError, match=rf"f\.bvh, line \d+: {expected}") as info:
        read_bvh(_write(tmp_path, _replace_line(bvh_text, lineno, new)))
    assert info.value.lineno is not None


def test_read_bvh_bad_frame_values(tmp_path, bvh_text):
    lines = bvh_text.split("\n")
    last = len(lines) - 1  # the file ends with a newline
    bad = lines[:last - 1] + [lines[last - 1].rsplit(" ", 1)[0] + " nan", ""]
    with pytest.raises(MocapParseError, match=f"line {last}: expected finite numbers"):
        read_bvh(_write(tmp_path, "\n".join(bad)))
    short = lines[:last - 1] + [lines[last - 1].rsplit(" ", 1)[0], ""]
    with pytest.raises(MocapParseError, match=f"line {last}: expected 96 values"):
        read_bvh(_write(tmp_path, "\n".join(short)))


@_FUZZ
@given(data=st.data())
def test_fuzz_bvh_mutations(tmp_path, bvh_text, data):
    _only_parse_errors(read_bvh, _write(tmp_path, _mutate(bvh_text, data)))


# -- real CMU files, when the shared data folder has them ---------------------------
ORIGINAL_AMC = (1, 2, 5, 9, 10, 11)  # the public AMC files; the others were recovered


def test_real_bvh_equals_original_amc(shared_data):
    """On the six trials in both forms every channel of every frame agrees to 1e-3 deg."""
    real = shared_data / "cmu_mocap"
    if not (real / "bvh" / "07").is_dir():
        pytest.skip(f"real CMU BVH files not in {real}")
    skeleton = read_asf(real / "subjects" / "07" / "07.asf")
    for trial in ORIGINAL_AMC:
        bvh = read_bvh(real / "bvh" / "07" / f"07_{trial:02d}.bvh", skeleton)
        amc = read_amc(real / "subjects" / "07" / f"07_{trial:02d}.amc", skeleton)
        assert bvh.data.shape == amc.data.shape
        assert np.abs(bvh.data - amc.data).max() < 1e-3, trial

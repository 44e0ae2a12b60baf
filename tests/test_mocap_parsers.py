"""ASF/AMC parsers: generated CMU-layout files, malformed files and fuzzing."""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _mocap_fixtures import AMC_ORDER, DOF, make_amc_text, make_asf_text, make_motion
from mne_oivae.mocap import MocapParseError, Motion, Skeleton, read_amc, read_asf

ASF = make_asf_text()
MOTION = make_motion(5, seed=0)
AMC = make_amc_text(MOTION)


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory):
    fname = tmp_path_factory.mktemp("asf") / "07.asf"
    fname.write_text(ASF)
    return read_asf(fname)


def _write(folder, name, text):
    fname = folder / name
    if isinstance(text, bytes):
        fname.write_bytes(text)
    else:
        fname.write_text(text)
    return fname


def _line_of(text, pattern, occurrence=0):
    """1-based number of the line matching *pattern* (regex), the n-th occurrence."""
    hits = [i + 1 for i, line in enumerate(text.split("\n")) if re.search(pattern, line)]
    return hits[occurrence]


def _replace_line(text, lineno, new):
    lines = text.split("\n")
    lines[lineno - 1] = new
    return "\n".join(lines)


# -- ASF ----------------------------------------------------------------------------
def test_read_asf_cmu_layout(skeleton):
    assert isinstance(skeleton, Skeleton)
    assert skeleton.name == "VICON"
    assert skeleton.units == dict(mass=1.0, length=0.45, angle="deg")
    assert len(skeleton) == 31  # root + 30 bones
    assert skeleton.bone_names[:7] == ["root", "lhipjoint", "lfemur", "ltibia", "lfoot",
                                       "ltoes", "rhipjoint"]
    assert sum(bool(bone.dof) for bone in skeleton.bones.values()) == 29
    assert skeleton.n_channels == 62  # 59 angles + 3 root translations
    root = skeleton.bones["root"]
    assert root.dof == ("tx", "ty", "tz", "rx", "ry", "rz") and root.parent is None
    femur = skeleton.bones["lfemur"]
    assert femur.parent == "lhipjoint" and femur.dof == ("rx", "ry", "rz")
    np.testing.assert_allclose(femur.limits, [[-160, 20], [-70, 70], [-60, 70]])
    np.testing.assert_allclose(femur.axis, [0, 0, 20])
    assert femur.axis_order == "XYZ" and femur.length == pytest.approx(7.16)
    np.testing.assert_allclose(np.linalg.norm(femur.direction), 1)
    hip = skeleton.bones["lhipjoint"]
    assert hip.dof == () and hip.limits.shape == (0, 2)
    assert skeleton.bones["lthumb"].parent == "lwrist"
    assert skeleton.bones["lclavicle"].parent == "thorax"
    parents = skeleton.parents
    assert parents[0] == -1 and skeleton.bone_names[parents[2]] == "lhipjoint"
    assert skeleton.channel_names[:4] == ["root_tx", "root_ty", "root_tz", "root_rx"]
    assert "lclavicle_ry" in skeleton.channel_names
    assert "lclavicle_rx" not in skeleton.channel_names
    assert "29 with degrees of freedom" in repr(skeleton)
    assert "lfemur" in repr(femur)


def test_read_asf_radians_and_limits_layout(tmp_path):
    """Angles given in radians come out in degrees; limit pairs may share a line."""
    text = ASF.replace("angle deg", "angle rad")
    text = text.replace("axis 0 0 20  XYZ", f"axis 0 0 {float(np.deg2rad(20))!r}  XYZ", 1)
    text = re.sub(r"limits \(-160.0 20.0\)\n\s*\(-70.0 70.0\)\n\s*\(-60.0 70.0\)",
                  "limits (-1 0.5) (-1 1)\n (-inf inf)", text)
    skeleton = read_asf(_write(tmp_path, "rad.asf", text))
    femur = skeleton.bones["lfemur"]
    np.testing.assert_allclose(femur.axis, [0, 0, 20])
    np.testing.assert_allclose(femur.limits[:2], np.rad2deg([[-1, 0.5], [-1, 1]]))
    assert np.isinf(femur.limits[2]).all()
    assert skeleton.units["angle"] == "deg"


def _asf_cases():
    femur = _line_of(ASF, "name lfemur")
    return [
        (_replace_line(ASF, femur + 1, "     direction 0.3 -0.9"), femur + 1,
         "3 numbers after 'direction'"),
        (_replace_line(ASF, femur + 2, "     length abc"), femur + 2,
         "non-negative number after 'length'"),
        (_replace_line(ASF, femur + 3, "     axis 0 0 20 XYW"), femur + 3,
         "rotation order"),
        (_replace_line(ASF, femur + 4, "    dof rx ry rw"), femur + 4,
         "rotational dof among rx, ry, rz"),
        (_replace_line(ASF, femur + 7, "  end"), femur + 7, "3 limit pair(s)"),
        (_replace_line(ASF, femur + 5, "    limits (-160.0, 20.0)"), femur + 5,
         "numbers (or inf) in a limit pair"),
        (_replace_line(ASF, femur + 5, "    limits (-160.0 20.0) junk"), femur + 5,
         "limit pairs '(<lower> <upper>)'"),
        (_replace_line(ASF, femur + 1, "     direction 1 1 1"), femur + 1,
         "unit direction vector"),
        (_replace_line(ASF, femur - 1, "     colour red"), femur - 1,
         "bone entries"),
        (ASF.replace("name ltibia", "name lfemur"), _line_of(ASF, "name ltibia") - 2,
         "unique bone name"),
        (ASF.replace("    lfemur ltibia\n", ""), _line_of(ASF, r"^  end$", -1) - 1,
         "parent of 'ltibia'"),
        (ASF.replace("lhipjoint lfemur", "lhipjoint lfemur knee"),
         _line_of(ASF, "lhipjoint lfemur"), "bone names defined in :bonedata"),
        (ASF.replace(":units", ":unitz"), _line_of(ASF, ":units"), "section keyword"),
        (ASF.replace("  angle deg", "  angle grad"), _line_of(ASF, "angle deg"),
         "'deg' or 'rad'"),
        (ASF.replace("order TX TY TZ RX RY RZ", "order TX TY RX RY RZ"),
         _line_of(ASF, "order TX"), "TX TY TZ RX RY RZ once"),
        (ASF.replace("lfemur ltibia", "lfemur ltibia\n    ltibia lfemur"),
         _line_of(ASF, "lfemur ltibia") + 1, "one parent for 'lfemur'"),
        (ASF.replace("lfemur ltibia", "lfoot ltibia"), _line_of(ASF, "lfemur ltibia"),
         "(it sits on a cycle)"),
        (ASF[:ASF.index(":hierarchy")], None, "a :hierarchy section"),
    ]


@pytest.mark.parametrize("text, lineno, expected", _asf_cases(),
                         ids=[case[2] for case in _asf_cases()])
def test_read_asf_malformed(tmp_path, text, lineno, expected):
    fname = _write(tmp_path, "bad.asf", text)
    with pytest.raises(MocapParseError, match=re.escape(expected)) as info:
        read_asf(fname)
    err = info.value
    assert err.fname == str(fname) and str(fname) in str(err)
    assert err.lineno == lineno
    if lineno is not None:
        assert f"line {lineno}:" in str(err)


def test_read_asf_truncated_and_binary(tmp_path):
    text = ASF[:ASF.index("  end", ASF.index("name lfemur"))]
    with pytest.raises(MocapParseError, match="'end' closing the bone") as info:
        read_asf(_write(tmp_path, "cut.asf", text))
    assert info.value.got == "end of file"
    with pytest.raises(MocapParseError, match="UTF-8") as info:
        read_asf(_write(tmp_path, "bin.asf", b":version 1\n\xff\xfe\x00"))
    assert info.value.lineno == 2
    with pytest.raises(FileNotFoundError, match="No such file"):
        read_asf(tmp_path / "missing.asf")


# -- AMC ----------------------------------------------------------------------------
def test_read_amc_cmu_layout(tmp_path, skeleton):
    motion = read_amc(_write(tmp_path, "07_01.amc", AMC), skeleton)
    assert isinstance(motion, Motion)
    assert motion.data.shape == (5, 62) and len(motion) == 5
    assert motion.channel_names == skeleton.channel_names
    np.testing.assert_array_equal(motion.frame_numbers, np.arange(1, 6))
    # every column holds the value written for that bone and dof (6 digits)
    for name in AMC_ORDER:
        for k, dof in enumerate(DOF[name]):
            column = skeleton.channel_names.index(f"{name}_{dof}")
            np.testing.assert_allclose(motion.data[:, column], MOTION[name][:, k],
                                       rtol=1e-5, atol=1e-4)
    assert "5 frames" in repr(motion)


def test_read_amc_bone_order_and_radians(tmp_path, skeleton):
    """Another (consistent) bone order gives the same columns; radians -> degrees."""
    reference = read_amc(_write(tmp_path, "a.amc", AMC), skeleton).data
    blocks = AMC.split("\n")
    header, body = blocks[:3], [b for b in blocks[3:] if b]
    frames = [body[k:k + 30] for k in range(0, len(body), 30)]
    shuffled = [f[:1] + f[1:][::-1] for f in frames]
    text = "\n".join(header + sum(shuffled, [])) + "\n"
    np.testing.assert_array_equal(read_amc(_write(tmp_path, "b.amc", text),
                                           skeleton).data, reference)
    radians = {name: values.copy() for name, values in MOTION.items()}
    radians["root"][:, 3:] = np.deg2rad(radians["root"][:, 3:])
    for name in AMC_ORDER[1:]:
        radians[name] = np.deg2rad(radians[name])
    text = make_amc_text(radians).replace(":DEGREES", ":RADIANS")
    data = read_amc(_write(tmp_path, "c.amc", text), skeleton).data
    np.testing.assert_allclose(data, reference, rtol=1e-4, atol=1e-3)


def _amc_cases():
    second = _line_of(AMC, "^2$")
    third = _line_of(AMC, "^3$")
    tibia2 = _line_of(AMC, "^ltibia ", 1)
    return [
        (AMC.replace(AMC.split("\n")[second + 5] + "\n", "", 1), second,
         "29 bone lines after this frame number"),
        (_replace_line(AMC, tibia2, "ltibia 1 2"), tibia2, "'ltibia' with 1 value(s)"),
        (_replace_line(AMC, tibia2, "ltibia 1.2.3"), tibia2, "finite numbers after"),
        (_replace_line(AMC, tibia2, "ltibia nan"), tibia2, "finite numbers after"),
        (_replace_line(AMC, tibia2, "lknee 12"), tibia2, "'ltibia' with 1 value(s)"),
        (_replace_line(AMC, 5, "lknee 12"), 5, "a bone with degrees of freedom"),
        (_replace_line(AMC, 5, "lhipjoint 12"), 5, "a bone with degrees of freedom"),
        (_replace_line(AMC, 5, "root 1 2 3"), 5, "6 value(s) for 'root'"),
        (_replace_line(AMC, third, "7"), third, "frame number 3"),
        (_replace_line(AMC, 2, ":SOMETHING"), 2, "a header keyword"),
        (_replace_line(AMC, 4, "one"), 4, "a frame number"),
        ("\n".join(line for line in AMC.split("\n") if not line.startswith("rthumb")),
         4, "missing: rthumb"),
        (_replace_line(AMC, 6, AMC.split("\n")[4]), 6, "each bone once per frame"),
        (":DEGREES\n", None, "at least one frame"),
        (AMC + "6\n", _line_of(AMC, "^5$") + 30, "29 bone lines after this frame number"),
    ]


@pytest.mark.parametrize("text, lineno, expected", _amc_cases(),
                         ids=[case[2] for case in _amc_cases()])
def test_read_amc_malformed(tmp_path, skeleton, text, lineno, expected):
    fname = _write(tmp_path, "bad.amc", text)
    with pytest.raises(MocapParseError, match=re.escape(expected)) as info:
        read_amc(fname, skeleton)
    assert info.value.lineno == lineno
    assert str(info.value).startswith(str(fname) if lineno is None
                                      else f"{fname}, line {lineno}: expected")


def test_read_amc_needs_skeleton(tmp_path):
    with pytest.raises(TypeError, match="skeleton must be a Skeleton"):
        read_amc(_write(tmp_path, "a.amc", AMC), "07.asf")


def test_parse_error_pickles():
    import pickle

    err = pickle.loads(pickle.dumps(MocapParseError("f.amc", 3, "a number", "x")))
    assert (err.fname, err.lineno, err.expected, err.got) == ("f.amc", 3, "a number", "x")
    assert str(err) == "f.amc, line 3: expected a number, got 'x'"


# -- fuzzing ------------------------------------------------------------------------
_FUZZ = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])
_SMALL_AMC = make_amc_text(make_motion(2, seed=1))
_TOKENS = st.sampled_from(["", "(", ")", "end", "begin", ":root", ":bonedata",
                           ":hierarchy", "nan", "-inf", "1e400", "0", "7", "lfemur",
                           "root", "rx", "XYZ", "#", "\t", "1 2 3", "(0 1)", "\x00",
                           "é"]) | st.text(max_size=6)


def _mutate(text, data):
    """Delete, duplicate or overwrite a few lines / tokens of a valid file."""
    lines = text.split("\n")
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "token", "replace",
                                            "truncate"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "replace":
            lines[i] = data.draw(_TOKENS)
        elif action == "truncate":
            lines = lines[:i]
        else:
            tokens = lines[i].split() or [""]
            j = data.draw(st.integers(0, len(tokens) - 1))
            tokens[j] = data.draw(_TOKENS)
            lines[i] = " ".join(tokens)
        if not lines:
            lines = [""]
    return "\n".join(lines)


def _only_parse_errors(reader, fname, *args):
    try:
        reader(fname, *args)
    except MocapParseError as err:
        assert str(fname) in str(err)


@_FUZZ
@given(data=st.data())
def test_fuzz_asf_mutations(tmp_path, data):
    _only_parse_errors(read_asf, _write(tmp_path, "f.asf", _mutate(ASF, data)))


@_FUZZ
@given(data=st.data())
def test_fuzz_amc_mutations(tmp_path, skeleton, data):
    _only_parse_errors(read_amc, _write(tmp_path, "f.amc", _mutate(_SMALL_AMC, data)),
                       skeleton)


@_FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_fuzz_arbitrary_input(tmp_path, skeleton, raw):
    _only_parse_errors(read_asf, _write(tmp_path, "f.asf", raw))
    _only_parse_errors(read_amc, _write(tmp_path, "f.amc", raw), skeleton)

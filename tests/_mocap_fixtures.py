"""Generated ASF/AMC text in the CMU database's layout (subject 7's skeleton).

The real CMU files are not shipped with the repository, so the tests write small
stand-ins: the same 30 bones, names, dof and limits, hierarchy, header and AMC bone
order as ``07.asf``/``07_xx.amc``, with plausible geometry and a synthetic gait whose
arms and legs swing while clavicles, fingers and toes barely move.
"""

from pathlib import Path

import numpy as np

# name, direction, length, axis, dof, limits (CMU subject 7 layout)
_LEFT_LEG = [
    ("lhipjoint", (0.567, -0.746, 0.349), 2.40, (0, 0, 0), "", []),
    ("lfemur", (0.342, -0.940, 0), 7.16, (0, 0, 20), "rx ry rz",
     [(-160, 20), (-70, 70), (-60, 70)]),
    ("ltibia", (0.342, -0.940, 0), 7.50, (0, 0, 20), "rx", [(-10, 170)]),
    ("lfoot", (0.078, -0.214, 0.974), 2.21, (-90, 0, 20), "rx rz", [(-45, 90), (-70, 20)]),
    ("ltoes", (0, 0, 1), 1.10, (-90, 0, 20), "rx", [(-90, 20)]),
]
_SPINE = [
    ("lowerback", (0.010, 0.999, -0.040), 2.05, (0, 0, 0), "rx ry rz",
     [(-20, 45), (-30, 30), (-30, 30)]),
    ("upperback", (0.004, 1.000, 0.010), 2.06, (0, 0, 0), "rx ry rz",
     [(-20, 45), (-30, 30), (-30, 30)]),
    ("thorax", (0.002, 1.000, 0.006), 2.07, (0, 0, 0), "rx ry rz",
     [(-20, 45), (-30, 30), (-30, 30)]),
    ("lowerneck", (-0.060, 0.980, -0.190), 1.52, (0, 0, 0), "rx ry rz",
     [(-20, 45), (-30, 30), (-30, 30)]),
    ("upperneck", (0.010, 0.990, -0.140), 1.53, (0, 0, 0), "rx ry rz",
     [(-20, 45), (-30, 30), (-30, 30)]),
    ("head", (0.010, 0.990, -0.140), 1.54, (0, 0, 0), "rx ry rz",
     [(-20, 45), (-30, 30), (-30, 30)]),
]
_LEFT_ARM = [
    ("lclavicle", (0.920, 0.150, -0.360), 3.58, (0, 0, 0), "ry rz", [(-20, 10), (-20, 0)]),
    ("lhumerus", (1, 0, 0), 5.05, (0, 0, 90), "rx ry rz", [(-60, 90), (-90, 90), (-90, 90)]),
    ("lradius", (1, 0, 0), 3.44, (0, 0, 90), "rx", [(-10, 170)]),
    ("lwrist", (1, 0, 0), 1.72, (0, 0, 90), "ry", [(-180, 0)]),
    ("lhand", (1, 0, 0), 0.62, (0, 0, 90), "rx rz", [(-90, 90), (-45, 45)]),
    ("lfingers", (1, 0, 0), 0.50, (0, 0, 90), "rx", [(0, 180)]),
    ("lthumb", (0.707107, 0, 0.707107), 0.72, (-90, 45, 0), "rx rz", [(-45, 45), (-45, 45)]),
]
_HIERARCHY = """\
    root lhipjoint rhipjoint lowerback
    lhipjoint lfemur
    lfemur ltibia
    ltibia lfoot
    lfoot ltoes
    rhipjoint rfemur
    rfemur rtibia
    rtibia rfoot
    rfoot rtoes
    lowerback upperback
    upperback thorax
    thorax lowerneck lclavicle rclavicle
    lowerneck upperneck
    upperneck head
    lclavicle lhumerus
    lhumerus lradius
    lradius lwrist
    lwrist lhand lthumb
    lhand lfingers
    rclavicle rhumerus
    rhumerus rradius
    rradius rwrist
    rwrist rhand rthumb
    rhand rfingers"""
# the order in which CMU's AMC files list the bones of every frame
AMC_ORDER = ["root", "lowerback", "upperback", "thorax", "lowerneck", "upperneck", "head",
             "rclavicle", "rhumerus", "rradius", "rwrist", "rhand", "rfingers", "rthumb",
             "lclavicle", "lhumerus", "lradius", "lwrist", "lhand", "lfingers", "lthumb",
             "rfemur", "rtibia", "rfoot", "rtoes", "lfemur", "ltibia", "lfoot", "ltoes"]


def _mirror(bones):
    """Right-side bones from the left ones: x flips, so do the y/z axis angles."""
    out = []
    for name, direction, length, axis, dof, limits in bones:
        x, y, z = direction
        ax, ay, az = axis
        out.append(("r" + name[1:], (-x, y, z), length, (ax, -ay, -az), dof, limits))
    return out


BONES = (_LEFT_LEG + _mirror(_LEFT_LEG) + _SPINE + _LEFT_ARM + _mirror(_LEFT_ARM))
DOF = {name: dof.split() for name, _, _, _, dof, _ in BONES}
DOF["root"] = ["tx", "ty", "tz", "rx", "ry", "rz"]


def make_asf_text():
    """Return the text of a CMU-layout skeleton file (like ``07.asf``)."""
    parts = ["# AST/ASF file generated using VICON BodyLanguage",
             "# -----------------------------------------------",
             ":version 1.10", ":name VICON", ":units", "  mass 1.0", "  length 0.45",
             "  angle deg", ":documentation",
             "   .ast/.asf automatically generated from VICON data using",
             "   VICON BodyBuilder and BodyLanguage model FoxedUp or BRILLIANT.MOD",
             ":root", "   order TX TY TZ RX RY RZ", "   axis XYZ", "   position 0 0 0  ",
             "   orientation 0 0 0 ", ":bonedata"]
    for i, (name, direction, length, axis, dof, limits) in enumerate(BONES, start=1):
        direction = np.asarray(direction, float) / np.linalg.norm(direction)
        parts += ["  begin", f"     id {i} ", f"     name {name}",
                  "     direction " + " ".join(f"{v:g}" for v in direction) + " ",
                  f"     length {length:g} ",
                  "     axis " + " ".join(f"{v:g}" for v in axis) + "  XYZ"]
        if dof:
            parts.append(f"    dof {dof}")
            pairs = [f"({lo:.1f} {hi:.1f})" for lo, hi in limits]
            parts.append("    limits " + pairs[0])
            parts += ["           " + pair for pair in pairs[1:]]
        parts.append("  end")
    parts += [":hierarchy", "  begin", _HIERARCHY, "  end", ""]
    return "\n".join(parts)


def make_motion(n_frames=240, *, speed=1.0, seed=0):
    """Synthetic walking: {bone: (n_frames, n_dof) angles in AMC channel order}.

    Legs and arms swing with the gait phase, the spine and head sway a little, the
    clavicles, wrists and toes move by fractions of a degree and the fingers are
    constant, as in CMU's walks. ``speed`` scales the cadence and the amplitudes
    (a brisk walk).
    """
    rng = np.random.default_rng(seed)
    phase = 2 * np.pi * speed * np.arange(n_frames) / 120 + rng.uniform(0, 2 * np.pi)
    s, c = np.sin(phase), np.cos(phase)
    a = speed

    def noisy(*cols, sd=0.3):
        cols = np.column_stack([np.broadcast_to(col, (n_frames,)) for col in cols])
        return cols + sd * rng.standard_normal(cols.shape)

    motion = {
        "root": noisy(0.5 * s, 17.0 + 0.3 * np.cos(2 * phase),
                      -0.12 * a * np.arange(n_frames), 2 * s, 3 * c, 1.5 * s),
        "lowerback": noisy(8 + s, 2 * c, 1.5 * s), "upperback": noisy(2 + s, c, s),
        "thorax": noisy(-4 + 0.5 * s, c, s),
        "lowerneck": noisy(-10 + 0.5 * s, 0.5 * c, 0.5 * s),
        "upperneck": noisy(8 + 0.5 * s, 0.5 * c, 0.5 * s),
        "head": noisy(2 + 0.5 * s, 0.5 * c, 0.5 * s),
    }
    for side, sign in (("l", 1.0), ("r", -1.0)):
        sw, cw = sign * s, sign * c  # left and right limbs move in antiphase
        motion.update({
            f"{side}femur": noisy(-15 - 22 * a * sw, 3 * cw, sign * 5 + 2 * sw),
            f"{side}tibia": noisy(30 + 25 * a * cw, sd=0.5),
            f"{side}foot": noisy(-8 + 10 * a * sw, sign * -10 + 2 * cw),
            f"{side}toes": noisy(-10.0, sd=0.05),
            f"{side}clavicle": noisy(sign * 4.0, sign * -7.0, sd=0.05),
            f"{side}humerus": noisy(-10 + 18 * a * sw, sign * 10 + 3 * cw, sign * -60),
            f"{side}radius": noisy(25 + 10 * a * sw, sd=0.4),
            f"{side}wrist": noisy(sign * -10.0, sd=0.05),
            f"{side}hand": noisy(-20 + 2 * sw, sign * 5.0, sd=0.1),
            f"{side}fingers": noisy(7.12502, sd=0.0),
            f"{side}thumb": noisy(10 + 0.5 * sw, sign * -20.0, sd=0.1),
        })
    return motion


def make_amc_text(motion=None, *, header=True, first_frame=1):
    """Return the text of a CMU-layout motion file (like ``07_01.amc``)."""
    motion = make_motion() if motion is None else motion
    n_frames = len(motion["root"])
    lines = ["#!OML:ASF F:\\VICON\\USERDATA\\INST\\CMU\\07\\07.asf", ":FULLY-SPECIFIED",
             ":DEGREES"] if header else []
    rows = {name: [" ".join(f"{v:.6g}" for v in row) for row in motion[name]]
            for name in AMC_ORDER}
    for k in range(n_frames):
        lines.append(str(first_frame + k))
        lines += [f"{name} {rows[name][k]}" for name in AMC_ORDER]
    return "\n".join(lines) + "\n"


def write_cmu_subject(dirname, subject=7, trials=(1, 2), *, n_frames=240, layout="flat",
                      brisk=(12,)):
    """Write ``<subject>.asf`` and ``<subject>_<trial>.amc`` files; return the folder.

    ``layout="cmu"`` mirrors the database's ``subjects/07/`` folders. Trials listed
    in ``brisk`` are walked faster.
    """
    sub = f"{subject:02d}"
    folder = Path(dirname) / ("subjects/" + sub if layout == "cmu" else "")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sub}.asf").write_text(make_asf_text())
    for trial in trials:
        motion = make_motion(n_frames, speed=1.6 if trial in brisk else 1.0, seed=trial)
        (folder / f"{sub}_{trial:02d}.amc").write_text(make_amc_text(motion))
    return Path(dirname)


def make_bvh_text(skeleton, motion, *, rest_frame=True, decimals=6):
    """Return *motion* as the text of a CMU-conversion BVH file (like ``07_01.bvh``).

    Every bone becomes the joint of :data:`~mne_oivae.mocap.CMU_BVH_TO_ASF` at its
    start, with the rotation ``R = C M C^-1`` (``C`` the bone's axis rotation, ``M``
    its AMC rotation) as ZYX channels, the root with its positions first; the rest
    pose frame is written as integers, as the conversion does.
    """
    from scipy.spatial.transform import Rotation

    from mne_oivae.mocap import CMU_BVH_TO_ASF
    from mne_oivae.mocap._kinematics import euler_matrix, full_frames

    joint_of = {bone: joint for joint, bone in CMU_BVH_TO_ASF.items()}
    names = skeleton.bone_names
    data = full_frames(skeleton, np.column_stack(
        [motion[b] for b in names if skeleton.bones[b].dof]))
    columns, start = {}, 0
    for b in names:
        columns[b] = data[:, start:start + len(skeleton.bones[b].dof)]
        start += len(skeleton.bones[b].dof)
    values, lines = [], ["HIERARCHY"]

    def joint(b, depth):
        bone, pad = skeleton.bones[b], "  " * depth
        parent = skeleton.bones[bone.parent] if bone.parent else None
        offset = np.zeros(3) if parent is None else parent.length * parent.direction
        lines.append(f"{pad}{'ROOT' if parent is None else 'JOINT'} {joint_of[b]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {' '.join(f'{v:.5f}' for v in offset)}")
        rotation = np.broadcast_to(np.eye(3), (len(data), 3, 3))
        for dof, col in zip(bone.dof, columns[b].T):
            if dof[0] == "r":
                step = Rotation.from_euler(dof[1], col[:, None], degrees=True)
                rotation = step.as_matrix() @ rotation
        frame = euler_matrix(bone.axis, bone.axis_order)
        xyz = Rotation.from_matrix(frame @ rotation @ frame.T).as_euler("xyz", degrees=True)
        if parent is None:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation "
                         "Yrotation Xrotation")
            values.append(columns[b][:, :3])
        else:
            lines.append(f"{pad}  CHANNELS 3 Zrotation Yrotation Xrotation")
        values.append(xyz[:, ::-1])
        children = [c for c in names if skeleton.bones[c].parent == b]
        for child in children:
            joint(child, depth + 1)
        if not children:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 0 1",
                          f"{pad}  }}"])
        lines.append(f"{pad}}}")

    joint("root", 0)
    frames = np.column_stack(values)
    lines += ["MOTION", f"Frames: {len(frames) + rest_frame}", "Frame Time: .0083333"]
    if rest_frame:
        lines.append(" ".join(["0.0"] * 3 + ["0"] * (frames.shape[1] - 3)))
    lines += [" ".join(f"{v:.{decimals}f}" for v in row) for row in frames]
    return "\n".join(lines) + "\n"

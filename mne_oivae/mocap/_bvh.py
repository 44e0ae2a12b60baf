"""Biovision hierarchy files (.bvh): the reader and the conversion to ASF/AMC angles."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..groups import GroupSpec
from ._amc import Motion
from ._asf import Skeleton
from ._kinematics import axis_rotation, euler_matrix
from ._text import LineCursor, to_float, to_floats

_CHANNELS = {"xposition": "tx", "yposition": "ty", "zposition": "tz",
             "xrotation": "rx", "yrotation": "ry", "zrotation": "rz"}

#: Joint names of the widely used BVH conversion of the CMU database (31 joints)
#: and the ASF bones they rotate: a BVH joint sits where its bone starts.
CMU_BVH_TO_ASF = {
    "Hips": "root", "LHipJoint": "lhipjoint", "LeftUpLeg": "lfemur", "LeftLeg": "ltibia",
    "LeftFoot": "lfoot", "LeftToeBase": "ltoes", "RHipJoint": "rhipjoint",
    "RightUpLeg": "rfemur", "RightLeg": "rtibia", "RightFoot": "rfoot",
    "RightToeBase": "rtoes", "LowerBack": "lowerback", "Spine": "upperback",
    "Spine1": "thorax", "Neck": "lowerneck", "Neck1": "upperneck", "Head": "head",
    "LeftShoulder": "lclavicle", "LeftArm": "lhumerus", "LeftForeArm": "lradius",
    "LeftHand": "lwrist", "LeftFingerBase": "lhand", "LeftHandIndex1": "lfingers",
    "LThumb": "lthumb", "RightShoulder": "rclavicle", "RightArm": "rhumerus",
    "RightForeArm": "rradius", "RightHand": "rwrist", "RightFingerBase": "rhand",
    "RightHandIndex1": "rfingers", "RThumb": "rthumb"}

# Rotation a bone cannot express (about an axis it has no dof for) that is still
# accepted as rounding: the CMU conversion writes 4 decimals (5e-5 degrees).
_RESIDUAL_TOLERANCE = 1e-2


@dataclass(frozen=True, eq=False)
class BVHMotion:
    """The hierarchy and frames of a BVH file, as read by :func:`read_bvh`.

    Attributes
    ----------
    joint_names : list of str
        Joints with channels or children, root first, in file order (end sites
        are not joints).
    parents : ndarray of int, shape (n_joints,)
        Index of every joint's parent, -1 for the root.
    offsets : ndarray, shape (n_joints, 3)
        Every joint's offset from its parent, in file units.
    channel_names : list of str
        ``"<joint>_<dof>"`` for every column of ``data``, dof one of ``tx``,
        ``ty``, ``tz``, ``rx``, ``ry``, ``rz`` in the file's channel order.
    data : ndarray, shape (n_frames, n_channels)
        Channel values, rotations in degrees; the rest-pose frame is left out.
    frame_time : float
        Seconds per frame.
    rest_pose : ndarray, shape (n_channels,) | None
        The leading rest-pose frame if the file has one (see :func:`read_bvh`).
    fname : str
        The file read.

    Examples
    --------
    >>> motion = read_bvh("07_01.bvh")  # doctest: +SKIP
    >>> motion.joint_names[:3], motion.data.shape  # doctest: +SKIP
    (['Hips', 'LHipJoint', 'LeftUpLeg'], (316, 96))
    """

    joint_names: list
    parents: np.ndarray
    offsets: np.ndarray
    channel_names: list
    data: np.ndarray
    frame_time: float
    rest_pose: np.ndarray | None
    fname: str

    @property
    def n_frames(self):
        return self.data.shape[0]

    @property
    def channel_joints(self):
        """Index of the joint of every channel, ndarray of int (n_channels,)."""
        names = {name: j for j, name in enumerate(self.joint_names)}
        return np.array([names[c.rsplit("_", 1)[0]] for c in self.channel_names])

    def rotation_groups(self):
        """The rotation channels with one group per joint, ready for OIVAE.

        Returns
        -------
        picks : ndarray of int
            Columns of ``data`` that are rotations (positions drift with the
            walk and are left out, as the root translations of AMC data are).
        groups : GroupSpec
            One group per joint with rotation channels, over ``data[:, picks]``.

        Examples
        --------
        >>> motion = read_bvh("07_01.bvh")  # doctest: +SKIP
        >>> picks, groups = motion.rotation_groups()  # doctest: +SKIP
        >>> X = ChannelScaler(0.1).fit_transform(motion.data[:, picks])  # doctest: +SKIP
        >>> OIVAE(groups=groups, n_components=8).fit(X)  # doctest: +SKIP
        """
        picks = np.flatnonzero([c.rsplit("_", 1)[1].startswith("r")
                                for c in self.channel_names])
        joints = self.channel_joints[picks]
        return picks, GroupSpec.from_labels([self.joint_names[j] for j in joints])

    def __repr__(self):
        return (f"<BVHMotion {Path(self.fname).name!r} | {len(self.joint_names)} joints, "
                f"{self.n_frames} frames, {len(self.channel_names)} channels>")


def read_bvh(fname, skeleton=None, *, mapping=None, rest_frame="auto"):
    """Read a Biovision hierarchy file (``.bvh``), optionally as ASF/AMC joint angles.

    Parameters
    ----------
    fname : path-like
        The ``.bvh`` file.
    skeleton : Skeleton | None
        The subject's ASF skeleton (:func:`read_asf`). If given, the motion is
        returned in the ASF/AMC parametrisation (a :class:`Motion`, as
        :func:`read_amc` returns): every bone's local rotation is
        ``M = C^-1 R C``, with ``C`` the bone's ``axis`` rotation and ``R`` the
        BVH joint's rotation, split into the bone's degrees of freedom. A BVH
        rotation that the bone cannot express (about an axis it has no dof
        for) is an error.
    mapping : dict | None
        BVH joint name -> ASF bone name, for every joint that has channels;
        ``None`` uses :data:`CMU_BVH_TO_ASF`, the names of the widely used
        BVH conversion of the CMU database. Only used with ``skeleton``.
    rest_frame : "auto" | bool
        Whether the first frame is a rest pose to leave out. The CMU conversion
        starts with one, written as integers (``0 ... -21 ...``) where motion
        frames have decimals (``0.0000``); ``"auto"`` drops the first frame
        when its rotations are written as integers and the second frame's
        are not.

    Returns
    -------
    motion : BVHMotion | Motion
        :class:`BVHMotion` without ``skeleton``, :class:`Motion` with it.

    Raises
    ------
    MocapParseError
        If the file is malformed; the message names the file, the line and
        what was expected there.

    See Also
    --------
    read_asf, read_amc

    Examples
    --------
    >>> from mne_oivae.mocap import read_asf, read_bvh
    >>> motion = read_bvh("07_01.bvh", read_asf("07.asf"))  # doctest: +SKIP
    >>> motion.data.shape  # doctest: +SKIP
    (316, 62)
    """
    if rest_frame != "auto":
        if not isinstance(rest_frame, bool):
            raise TypeError(f"rest_frame must be 'auto', True or False, got {rest_frame!r}")
    if skeleton is not None and not isinstance(skeleton, Skeleton):
        raise TypeError("skeleton must be a Skeleton (see read_asf) or None, got "
                        f"{type(skeleton).__name__}")
    if skeleton is None and mapping is not None:
        raise ValueError("mapping names the ASF bones of BVH joints, so it needs the "
                         "skeleton: pass skeleton=read_asf(<subject>.asf) too")
    motion = _BVHParser(fname).parse(rest_frame)
    if skeleton is None:
        return motion
    mapping = CMU_BVH_TO_ASF if mapping is None else mapping
    if not isinstance(mapping, dict):
        raise TypeError(f"mapping must be a dict or None, got {type(mapping).__name__}")
    return to_amc(motion, skeleton, mapping)


def to_amc(motion, skeleton, mapping):
    """A :class:`BVHMotion` in a skeleton's ASF/AMC parametrisation (a :class:`Motion`)."""
    joints = motion.channel_joints
    data = np.zeros((motion.n_frames, skeleton.n_channels))
    done = set()
    for j, joint in enumerate(motion.joint_names):
        columns = np.flatnonzero(joints == j)
        if columns.size == 0:
            continue
        bone_name = mapping.get(joint)
        if bone_name is None or bone_name not in skeleton.bones:
            raise ValueError(f"BVH joint {joint!r} of {motion.fname} maps to no bone of the "
                             f"skeleton ({bone_name!r}); pass mapping={{{joint!r}: "
                             "<ASF bone name>, ...}} for every joint with channels")
        bone = skeleton.bones[bone_name]
        dofs = [motion.channel_names[c].rsplit("_", 1)[1] for c in columns]
        values = motion.data[:, columns]
        rotation = np.broadcast_to(np.eye(3), (motion.n_frames, 3, 3))
        for dof, column in zip(dofs, values.T):
            if dof.startswith("t"):
                if f"{bone_name}_{dof}" in skeleton.channel_names:
                    data[:, skeleton.channel_names.index(f"{bone_name}_{dof}")] = column
                continue
            # BVH lists rotations outermost first: R = R_1 R_2 R_3
            rotation = rotation @ axis_rotation("xyz".index(dof[1]), np.deg2rad(column))
        frame = euler_matrix(bone.axis, bone.axis_order)
        local = frame.T @ rotation @ frame
        angles = _bone_angles(local, bone, joint, motion.fname)
        for dof, column in zip((d for d in bone.dof if d.startswith("r")), angles.T):
            data[:, skeleton.channel_names.index(f"{bone_name}_{dof}")] = column
        done.add(bone_name)
    missing = [b.name for b in skeleton.bones.values() if b.dof and b.name not in done]
    if missing:
        raise ValueError(f"{motion.fname} has no joint for the skeleton's bone(s) "
                         f"{', '.join(missing)}; pass a mapping that names them")
    return Motion(skeleton, data, np.arange(1, motion.n_frames + 1), fname=motion.fname)


def _bone_angles(local, bone, joint, fname):
    """Split local rotations (n, 3, 3) into the bone's rotational dof, in degrees."""
    from scipy.spatial.transform import Rotation

    dof = [d[1] for d in bone.dof if d.startswith("r")]
    missing = [a for a in "xyz" if a not in dof]
    # AMC applies the dof in order, the first innermost: M = R_last ... R_first,
    # which is scipy's extrinsic sequence; absent axes must carry zero angles.
    angles = Rotation.from_matrix(local).as_euler("".join(dof + missing), degrees=True)
    residual = np.abs(angles[:, len(dof):])
    if residual.size and residual.max() > _RESIDUAL_TOLERANCE:
        frame = int(np.argmax(residual.max(axis=1)))
        raise ValueError(
            f"{fname}: joint {joint!r}, frame {frame + 1}, rotates by "
            f"{residual[frame].max():.3g} degrees about an axis bone {bone.name!r} has no "
            f"dof for (dof {' '.join(bone.dof) or 'none'}); is the mapping right?")
    return angles[:, :len(dof)]


class _BVHParser(LineCursor):
    """Reader of the HIERARCHY and MOTION sections, keeping line numbers for errors."""

    def parse(self, rest_frame):
        lineno, tokens = self.next("HIERARCHY")
        if tokens != ["HIERARCHY"]:
            raise self.error(lineno, "HIERARCHY", " ".join(tokens))
        lineno, tokens = self.next("ROOT <name>")
        if len(tokens) != 2 or tokens[0] != "ROOT":
            raise self.error(lineno, "ROOT <name>", " ".join(tokens))
        self.names, self.parents, self.offsets, self.channels = [], [], [], []
        self.joint(tokens[1], -1, lineno)
        frames, frame_time = self.motion()
        rest = None
        if rest_frame is True or (rest_frame == "auto" and self._has_rest_frame()):
            if len(frames) < 2:
                raise self.error(None, "a motion frame after the rest-pose frame")
            rest, frames = frames[0], frames[1:]
        return BVHMotion(self.names, np.array(self.parents), np.array(self.offsets),
                         self.channels, frames, frame_time, rest, self.fname)

    def _has_rest_frame(self):
        """Whether the first frame's rotations are written as integers, the second's not.

        Numbers cannot tell: the brisk walk 07_12's first motion frame is all
        zeros, written ``0.0000``, after the rest pose's ``0 ... -21 ...``.
        """
        rotations = [i for i, c in enumerate(self.channels) if c.rsplit("_", 1)[1][0] == "r"]
        rows = [tokens for _, tokens in self.frame_rows[:2]]

        def integers(tokens):
            return all("." not in tokens[i] and "e" not in tokens[i].lower()
                       for i in rotations)

        return len(rows) == 2 and integers(rows[0]) and not integers(rows[1])

    def joint(self, name, parent, begin):
        if name in self.names:
            raise self.error(begin, f"a unique joint name ({name!r} is repeated)", name)
        index = len(self.names)
        self.names.append(name)
        self.parents.append(parent)
        lineno, tokens = self.next("'{'")
        if tokens != ["{"]:
            raise self.error(lineno, f"'{{' opening joint {name!r}", " ".join(tokens))
        lineno, tokens = self.next("OFFSET x y z")
        if not tokens or tokens[0] != "OFFSET":
            raise self.error(lineno, "OFFSET x y z", " ".join(tokens))
        self.offsets.append(to_floats(tokens[1:], 3, self.fname, lineno,
                                      "3 numbers after OFFSET"))
        lineno, tokens = self.next("CHANNELS")
        if tokens[0] == "CHANNELS":
            self.parse_channels(name, lineno, tokens)
            lineno, tokens = self.next(f"JOINT, End Site or '}}' in joint {name!r}")
        elif parent < 0:
            raise self.error(lineno, "CHANNELS for the root", " ".join(tokens))
        while tokens != ["}"]:
            if len(tokens) == 2 and tokens[0] == "JOINT":
                self.joint(tokens[1], index, lineno)
            elif tokens == ["End", "Site"]:
                self.end_site(lineno)
            else:
                raise self.error(lineno, f"JOINT <name>, End Site or '}}' closing joint "
                                 f"{name!r} (opened on line {begin})", " ".join(tokens))
            lineno, tokens = self.next(f"'}}' closing joint {name!r} (opened on line "
                                       f"{begin})")

    def parse_channels(self, name, lineno, tokens):
        what = "CHANNELS <n> followed by n of Xposition ... Zrotation"
        if len(tokens) < 2 or not tokens[1].isdigit() or int(tokens[1]) != len(tokens) - 2:
            raise self.error(lineno, what, " ".join(tokens))
        dofs = [_CHANNELS.get(t.lower()) for t in tokens[2:]]
        if None in dofs or len(set(dofs)) != len(dofs):
            raise self.error(lineno, what + ", each once", " ".join(tokens))
        self.channels.extend(f"{name}_{dof}" for dof in dofs)

    def end_site(self, begin):
        for expected in ("{", "OFFSET", "}"):
            lineno, tokens = self.next(f"{expected!r} in the End Site on line {begin}")
            if tokens[0] != expected:
                raise self.error(lineno, f"{expected!r} in the End Site opened on line "
                                 f"{begin}", " ".join(tokens))
            if expected == "OFFSET":
                to_floats(tokens[1:], 3, self.fname, lineno, "3 numbers after OFFSET")

    def motion(self):
        lineno, tokens = self.next("MOTION")
        if tokens != ["MOTION"]:
            raise self.error(lineno, "MOTION after the hierarchy", " ".join(tokens))
        lineno, tokens = self.next("Frames: <n>")
        if len(tokens) != 2 or tokens[0] != "Frames:" or not tokens[1].isdigit():
            raise self.error(lineno, "Frames: <n>", " ".join(tokens))
        n_frames = int(tokens[1])
        if n_frames == 0:
            raise self.error(lineno, "at least one frame", " ".join(tokens))
        lineno, tokens = self.next("Frame Time: <seconds>")
        if len(tokens) != 3 or tokens[:2] != ["Frame", "Time:"]:
            raise self.error(lineno, "Frame Time: <seconds>", " ".join(tokens))
        frame_time = to_float(tokens[2], self.fname, lineno, "a positive frame time")
        if frame_time <= 0:
            raise self.error(lineno, "a positive frame time", tokens[2])
        rows = self.frame_rows = self.lines[self.pos:]
        self.pos = len(self.lines)
        if len(rows) != n_frames:
            where = rows[-1][0] if rows else lineno
            raise self.error(where, f"{n_frames} frame lines, as 'Frames:' on line "
                             f"{lineno} says", f"{len(rows)}")
        n_channels = len(self.channels)
        for row_line, values in rows:
            if len(values) != n_channels:
                raise self.error(row_line, f"{n_channels} values per frame (one per "
                                 "channel)", f"{len(values)} values")
        try:
            frames = np.array([values for _, values in rows], dtype=np.float64)
        except ValueError:
            frames = None
        if frames is None or not np.isfinite(frames).all():
            for row_line, values in rows:
                for token in values:
                    to_float(token, self.fname, row_line, "finite numbers in a frame")
        return frames.reshape(n_frames, n_channels), frame_time

"""Forward kinematics: joint angles to 3D positions (Acclaim/CMU conventions)."""

import numpy as np
from mne.utils import _check_option

from ._asf import Skeleton

_INCH = 0.0254


def forward_kinematics(skeleton, frames, channel_names=None, *, units="file"):
    """Compute the 3D position of every bone's end point, frame by frame.

    Follows the Acclaim conventions used by the CMU database: a bone's local frame
    is given by its ``axis`` angles (rotation matrix ``C``); the frame's values for
    the bone's degrees of freedom form ``M``, with rotations applied in the order
    of the ``dof`` line; the bone's global rotation is
    ``R = R_parent @ C @ M @ C.T`` and its end point is
    ``p = p_parent + length * R @ direction``. The root sits at the skeleton's
    position plus the root translation channels and has length 0.

    Parameters
    ----------
    skeleton : Skeleton
        From :func:`read_asf`.
    frames : array-like, shape (n_frames, n_channels) | (n_channels,)
        Joint angles in degrees (and root translations in file units), e.g.
        :attr:`Motion.data` or an inverse-transformed model sample.
    channel_names : list of str | None
        Names of the columns of ``frames`` (a subset of
        ``skeleton.channel_names``, in any order); channels left out are 0, which
        places the root at the origin when its translations are dropped.
        ``None`` means all of ``skeleton.channel_names``, in order.
    units : ``"file"`` | ``"m"``
        ``"file"`` keeps the file's length units; ``"m"`` converts to meters with
        the CMU convention that file lengths are inches times the ASF's
        ``length`` unit (0.45 for CMU, so 1 unit is 5.64 cm).

    Returns
    -------
    positions : ndarray, shape (n_frames, n_bones, 3)
        End point of every bone in ``skeleton.bone_names`` order (the root's
        position for the root), y pointing up.

    See Also
    --------
    mne_oivae.viz.plot_poses

    Examples
    --------
    >>> positions = forward_kinematics(skeleton, motion.data)  # doctest: +SKIP
    >>> positions.shape  # doctest: +SKIP
    (316, 31, 3)
    """
    if not isinstance(skeleton, Skeleton):
        raise TypeError("skeleton must be a Skeleton (see read_asf), got "
                        f"{type(skeleton).__name__}")
    _check_option("units", units, ("file", "m"))
    frames = full_frames(skeleton, frames, channel_names)
    n_frames = frames.shape[0]
    bones = list(skeleton.bones.values())
    first = np.concatenate([[0], np.cumsum([len(b.dof) for b in bones])])
    rotations = np.empty((len(bones), n_frames, 3, 3))
    positions = np.empty((n_frames, len(bones), 3))
    for b in _topological_order(skeleton.parents):
        bone = bones[b]
        values = frames[:, first[b]:first[b + 1]]
        local = np.broadcast_to(np.eye(3), (n_frames, 3, 3))
        translation = np.zeros((n_frames, 3))
        for dof, column in zip(bone.dof, values.T):
            axis = "xyz".index(dof[1])
            if dof[0] == "t":
                translation[:, axis] = column
            else:
                local = axis_rotation(axis, np.deg2rad(column)) @ local
        frame_axes = euler_matrix(bone.axis, bone.axis_order)
        local = frame_axes @ local @ frame_axes.T
        parent = skeleton.parents[b]
        if parent < 0:
            rotations[b] = local
            positions[:, b] = skeleton.position + translation
        else:
            rotations[b] = rotations[parent] @ local
            positions[:, b] = (positions[:, parent]
                               + bone.length * rotations[b] @ bone.direction)
    if units == "m":
        positions *= _INCH / skeleton.units["length"]
    return positions


def full_frames(skeleton, frames, channel_names=None):
    """Return *frames* as (n_frames, skeleton.n_channels), zeros where absent."""
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim == 1:
        frames = frames[np.newaxis]
    if frames.ndim != 2:
        raise ValueError("frames must be a 2D array (n_frames, n_channels), got shape "
                         f"{frames.shape}")
    if channel_names is None:
        channel_names = skeleton.channel_names
    channel_names = list(channel_names)
    if frames.shape[1] != len(channel_names):
        raise ValueError(f"frames has {frames.shape[1]} columns but there are "
                         f"{len(channel_names)} channel names; pass channel_names for "
                         "frames that hold only some of the skeleton's channels")
    index = {name: i for i, name in enumerate(skeleton.channel_names)}
    unknown = [name for name in channel_names if name not in index]
    if unknown:
        raise ValueError(f"channel_names holds {len(unknown)} name(s) that are not "
                         f"channels of the skeleton, e.g. {unknown[0]!r}")
    if channel_names == skeleton.channel_names:
        return frames
    full = np.zeros((frames.shape[0], skeleton.n_channels))
    full[:, [index[name] for name in channel_names]] = frames
    return full


def euler_matrix(angles, order):
    """Rotation matrix for Euler *angles* (degrees), the first letter applied first."""
    matrix = np.eye(3)
    for letter, angle in zip(order, angles):
        axis = "XYZ".index(letter)
        matrix = axis_rotation(axis, np.deg2rad(angle)) @ matrix
    return matrix


def axis_rotation(axis, angles):
    """Rotation matrices about one coordinate axis, shape angles.shape + (3, 3)."""
    angles = np.asarray(angles, dtype=np.float64)
    c, s = np.cos(angles), np.sin(angles)
    out = np.zeros(angles.shape + (3, 3))
    i, j = (axis + 1) % 3, (axis + 2) % 3  # cyclic, so that Ry has +sin at (0, 2)
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def _topological_order(parents):
    """Bone indices ordered so that every parent comes before its children."""
    order, done = [], np.zeros(len(parents), bool)
    while len(order) < len(parents):
        ready = np.flatnonzero(~done & ((parents < 0) | done[np.maximum(parents, 0)]))
        if ready.size == 0:
            raise ValueError("the skeleton's hierarchy has a cycle")
        order.extend(ready.tolist())
        done[ready] = True
    return order

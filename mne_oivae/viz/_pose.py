"""Stick figures of skeleton poses (raw mocap frames or model samples)."""

import numpy as np
from mne.utils import _validate_type

from .._docs import fill_doc
from .._validation import check_int
from ..mocap import ChannelScaler, Skeleton, forward_kinematics

_SIDE_COLORS = {"left": "#1f77b4", "right": "#d62728", "center": "0.2"}


@fill_doc
def plot_pose(skeleton, frame, *, scaler=None, channel_names=None, units="m",
              title=None, axes=None, show=True):
    """Draw one pose of a skeleton as a 3D stick figure.

    Parameters
    ----------
    %(skeleton_pose)s
    frame : array-like, shape (n_channels,)
        Joint angles of one frame: a row of :attr:`mne_oivae.mocap.Motion.data`,
        or a scaled row (of ``MocapTrials.X`` or of
        :meth:`mne_oivae.OIVAE.sample`) together with ``scaler``.
    scaler : ChannelScaler | None
        If given, ``frame`` is first mapped back to angles with
        ``scaler.inverse_transform`` and its channels default to
        ``scaler.channel_names_``.
    channel_names : list of str | None
        Names of the values in ``frame`` if not all skeleton channels in order;
        see :func:`mne_oivae.mocap.forward_kinematics`.
    %(units_pose)s
    title : str | None
        Axes title.
    axes : instance of Axes3D | None
        Axes to draw into (made with ``projection="3d"``); ``None`` makes a figure.
    %(show)s

    Returns
    -------
    fig : instance of matplotlib.figure.Figure
        The figure holding the pose.

    See Also
    --------
    plot_poses, mne_oivae.mocap.forward_kinematics

    Examples
    --------
    >>> from mne_oivae.mocap import load_cmu_trials
    >>> from mne_oivae.viz import plot_pose
    >>> data = load_cmu_trials(7, [1])  # doctest: +SKIP
    >>> fig = plot_pose(data.skeleton, data.X[0], scaler=data.scaler)  # doctest: +SKIP
    """
    frame = np.asarray(frame)
    if frame.ndim != 1:
        raise ValueError(f"frame must be one pose (a 1D array), got shape {frame.shape};"
                         " use plot_poses for several")
    return plot_poses(skeleton, frame[np.newaxis], scaler=scaler,
                      channel_names=channel_names, units=units,
                      titles=None if title is None else [title], axes=axes, show=show)


@fill_doc
def plot_poses(skeleton, frames, *, scaler=None, channel_names=None, units="m",
               titles=None, n_cols=None, axes=None, show=True):
    """Draw several poses of a skeleton side by side, one 3D stick figure each.

    Every pose is centred on its root's horizontal position and all panels share
    one scale, so differences in posture are comparable across panels. Left limbs
    are blue, right limbs red. This is the way to look at conditional and
    unconditional samples of a model fitted on :func:`mne_oivae.mocap.load_cmu_trials`
    data (the paper's Figs. 4 and 5).

    Parameters
    ----------
    %(skeleton_pose)s
    frames : array-like, shape (n_poses, n_channels)
        Joint angles, raw (``Motion.data``) or scaled together with ``scaler``
        (e.g. the output of :meth:`mne_oivae.OIVAE.sample`).
    scaler : ChannelScaler | None
        If given, ``frames`` are first mapped back to angles with
        ``scaler.inverse_transform`` and their channels default to
        ``scaler.channel_names_`` (the root translations, left out of model data,
        are 0).
    channel_names : list of str | None
        Names of the columns of ``frames`` if not all skeleton channels in order.
    %(units_pose)s
    titles : list of str | None
        One title per pose.
    n_cols : int | None
        Panels per row; ``None`` puts up to 6 in a row.
    axes : Axes3D | list of Axes3D | None
        Axes to draw into, one per pose; ``None`` makes a figure.
    %(show)s

    Returns
    -------
    fig : instance of matplotlib.figure.Figure
        The figure holding the poses.

    See Also
    --------
    plot_pose, mne_oivae.mocap.forward_kinematics

    Examples
    --------
    >>> from mne_oivae.viz import plot_poses
    >>> samples = model.sample(6, random_state=0)  # doctest: +SKIP
    >>> fig = plot_poses(data.skeleton, samples, scaler=data.scaler)  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from mne.viz.utils import plt_show

    _validate_type(skeleton, Skeleton, "skeleton", "Skeleton")
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 2 or frames.shape[0] == 0:
        raise ValueError("frames must be a 2D array (n_poses, n_channels) with at least "
                         f"one pose, got shape {frames.shape}")
    if scaler is not None:
        _validate_type(scaler, ChannelScaler, "scaler", "ChannelScaler or None")
        frames = scaler.inverse_transform(frames)
        if channel_names is None:
            channel_names = scaler.channel_names_
    positions = forward_kinematics(skeleton, frames, channel_names, units=units)
    positions[..., [0, 2]] -= positions[:, :1, [0, 2]]  # centre on the root
    n_poses = len(positions)
    if titles is not None and len(titles) != n_poses:
        raise ValueError(f"titles has {len(titles)} entries for {n_poses} poses")
    if axes is None:
        n_cols = min(n_poses, 6) if n_cols is None else check_int(n_cols, "n_cols", 1)
        n_rows = -(-n_poses // n_cols)
        fig = plt.figure(figsize=(2.2 * n_cols, 3.0 * n_rows), layout="constrained")
        axes = [fig.add_subplot(n_rows, n_cols, k + 1, projection="3d")
                for k in range(n_poses)]
    else:
        axes = list(np.atleast_1d(axes))
        if len(axes) != n_poses:
            raise ValueError(f"axes has {len(axes)} entries for {n_poses} poses")
        fig = axes[0].figure
    half = 0.55 * np.ptp(positions.reshape(-1, 3), axis=0).max()
    middle = (positions.reshape(-1, 3).max(0) + positions.reshape(-1, 3).min(0)) / 2
    sides = _bone_sides(skeleton)
    for k, ax in enumerate(axes):
        _draw_skeleton(ax, positions[k], skeleton.parents, sides)
        ax.set(xlim=(middle[0] - half, middle[0] + half),  # matplotlib z is CMU's y
               ylim=(middle[2] - half, middle[2] + half),
               zlim=(middle[1] - half, middle[1] + half))
        ax.set_box_aspect((1, 1, 1), zoom=1.4)
        ax.view_init(elev=10, azim=-60)
        ax.set_axis_off()
        if titles is not None:
            ax.set_title(titles[k], fontsize="small")
    plt_show(show)
    return fig


def _draw_skeleton(ax, positions, parents, sides):
    for bone, parent in enumerate(parents):
        if parent >= 0:
            seg = positions[[parent, bone]]
            ax.plot(seg[:, 0], seg[:, 2], seg[:, 1], color=_SIDE_COLORS[sides[bone]],
                    linewidth=2, solid_capstyle="round")


def _bone_sides(skeleton):
    """'left'/'right' for bones with a mirrored partner (lfemur/rfemur), else 'center'."""
    names = set(skeleton.bone_names)
    sides = []
    for name in skeleton.bone_names:
        mirrored = {"l": "r", "r": "l"}.get(name[:1], "") + name[1:]
        side = {"l": "left", "r": "right"}[name[0]] if mirrored in names else "center"
        sides.append(side)
    return sides

"""Acclaim motion files (.amc): the :class:`Motion` and its reader."""

from itertools import chain
from pathlib import Path

import numpy as np

from ._asf import Skeleton
from ._errors import MocapParseError
from ._text import read_lines, to_float

_HEADER_KEYWORDS = (":fully-specified", ":degrees", ":radians")


class Motion:
    """Frames of joint angles read from an AMC file, in a skeleton's channel order.

    Usually created by :func:`read_amc`.

    Parameters
    ----------
    skeleton : Skeleton
        The skeleton the frames belong to.
    data : ndarray, shape (n_frames, n_channels)
        One row per frame; columns follow ``skeleton.channel_names``. Rotations are
        in degrees, root translations in file length units.
    frame_numbers : ndarray of int, shape (n_frames,)
        Frame numbers as written in the file.
    fname : str | None
        The file the frames came from.

    Attributes
    ----------
    channel_names : list of str
        The column names, ``skeleton.channel_names``.

    Examples
    --------
    >>> motion = read_amc("07_01.amc", read_asf("07.asf"))  # doctest: +SKIP
    >>> motion.data.shape  # doctest: +SKIP
    (316, 62)
    """

    def __init__(self, skeleton, data, frame_numbers, fname=None):
        self.skeleton = skeleton
        self.data = data
        self.frame_numbers = frame_numbers
        self.fname = fname

    @property
    def channel_names(self):
        return self.skeleton.channel_names

    @property
    def n_frames(self):
        return self.data.shape[0]

    def __len__(self):
        return self.n_frames

    def __repr__(self):
        name = "" if self.fname is None else f" {Path(self.fname).name!r}"
        return f"<Motion{name} | {self.n_frames} frames, {self.data.shape[1]} channels>"


def read_amc(fname, skeleton):
    """Read an Acclaim motion file (``.amc``) against its skeleton.

    Every frame must list the same bones in the same order, each with exactly the
    number of values its degrees of freedom call for, and every bone that has
    degrees of freedom must appear; anything else is an error rather than a
    silently misaligned column. Numbers are converted in one vectorised step, so
    a few thousand frames read in tens of milliseconds.

    Parameters
    ----------
    fname : path-like
        The ``.amc`` file.
    skeleton : Skeleton
        The skeleton, from :func:`read_asf` on the matching ``.asf`` file.

    Returns
    -------
    motion : Motion
        Frames x channels in ``skeleton.channel_names`` order; rotations in degrees
        (converted if the file says ``:RADIANS``).

    Raises
    ------
    MocapParseError
        If the file is malformed or disagrees with the skeleton; the message names
        the file, the line and what was expected there.

    See Also
    --------
    read_asf, load_cmu_trials

    Examples
    --------
    >>> from mne_oivae.mocap import read_amc, read_asf
    >>> motion = read_amc("07_01.amc", read_asf("07.asf"))  # doctest: +SKIP
    >>> motion.channel_names[:4]  # doctest: +SKIP
    ['root_tx', 'root_ty', 'root_tz', 'root_rx']
    """
    if not isinstance(skeleton, Skeleton):
        raise TypeError("skeleton must be a Skeleton (see read_asf), got "
                        f"{type(skeleton).__name__}")
    fname_str = str(fname)
    lines = read_lines(fname)
    linenos, tokens, radians = _split_header(lines, fname_str)
    n_frames, n_per = _frame_layout(linenos, tokens, fname_str)
    frame_numbers = np.array([int(tokens[k][0]) for k in range(0, len(tokens), n_per + 1)])
    steps = np.flatnonzero(np.diff(frame_numbers) != 1)
    if steps.size:
        k = steps[0] + 1
        raise MocapParseError(fname_str, linenos[k * (n_per + 1)],
                              f"frame number {frame_numbers[k - 1] + 1} (frames must be "
                              "consecutive)", str(frame_numbers[k]))
    bone_rows = np.ones(len(tokens), bool)
    bone_rows[::n_per + 1] = False
    bone_linenos = np.asarray(linenos)[bone_rows].reshape(n_frames, n_per)
    bone_tokens = [t for t, keep in zip(tokens, bone_rows) if keep]
    order, n_values = _bone_order(bone_tokens[:n_per], linenos[:n_per + 1], skeleton,
                                  fname_str)
    names = np.array([t[0] for t in bone_tokens]).reshape(n_frames, n_per)
    counts = np.fromiter(map(len, bone_tokens), np.int64, len(bone_tokens))
    counts = counts.reshape(n_frames, n_per) - 1
    bad = (names != names[0]) | (counts != n_values)
    if bad.any():
        k, j = np.argwhere(bad)[0]
        raise MocapParseError(fname_str, bone_linenos[k, j],
                              f"bone {order[j]!r} with {n_values[j]} value(s), as in "
                              "the first frame", " ".join(bone_tokens[k * n_per + j]))
    values = _to_array(bone_tokens, bone_linenos.ravel(), fname_str)
    values = values.reshape(n_frames, -1)
    data = np.empty((n_frames, skeleton.n_channels))
    data[:, _columns(order, skeleton)] = values
    if radians:
        rotation = [dof.startswith("r") for bone in skeleton.bones.values()
                    for dof in bone.dof]
        data[:, rotation] = np.rad2deg(data[:, rotation])
    return Motion(skeleton, data, frame_numbers, fname=fname_str)


def _split_header(lines, fname):
    """Check the header (comments, ``:keywords``); tokenise the non-empty lines after it."""
    radians = False
    for start, line in enumerate(lines):
        parts = line.split()
        if parts and not parts[0].startswith(("#", ":")):
            break
        if parts and parts[0].startswith(":"):
            keyword = parts[0].lower()
            if keyword not in _HEADER_KEYWORDS or len(parts) != 1:
                raise MocapParseError(fname, start + 1, "a header keyword (:FULLY-"
                                      "SPECIFIED, :DEGREES or :RADIANS)", line.strip())
            radians = radians or keyword == ":radians"
    else:
        start = len(lines)
    split = [line.split() for line in lines[start:]]
    linenos = [i for i, parts in enumerate(split, start=start + 1) if parts]
    return linenos, [parts for parts in split if parts], radians


def _frame_layout(linenos, tokens, fname):
    """Check that frames are a number line followed by the same count of bone lines."""
    if not tokens:
        raise MocapParseError(fname, None, "at least one frame, but the file has none")
    starts = np.flatnonzero([len(t) == 1 and t[0].isdigit() for t in tokens])
    for k in starts:
        # CMU numbers frames from 1; 18 digits keep the number inside int64
        if not (tokens[k][0].isascii() and len(tokens[k][0]) <= 18):
            raise MocapParseError(fname, linenos[k], "a frame number of at most 18 "
                                  "ASCII digits", tokens[k][0])
    if starts.size == 0 or starts[0] != 0:
        raise MocapParseError(fname, linenos[0], "a frame number", " ".join(tokens[0]))
    n_per = (starts[1] if starts.size > 1 else len(tokens)) - 1
    if n_per == 0:
        got = " ".join(tokens[1]) if len(tokens) > 1 else None
        raise MocapParseError(fname, linenos[0], "bone lines after this frame number",
                              got)
    n_frames = starts.size
    expected = np.arange(n_frames) * (n_per + 1)
    if len(tokens) != n_frames * (n_per + 1) or not np.array_equal(starts, expected):
        wrong = np.flatnonzero(starts != expected[:starts.size])
        k = wrong[0] - 1 if wrong.size else n_frames - 1  # the frame before the shift
        end = starts[k + 1] if k + 1 < starts.size else len(tokens)
        raise MocapParseError(fname, linenos[starts[k]], f"{n_per} bone lines after "
                              "this frame number, as in the first frame",
                              f"{end - starts[k] - 1} line(s)")
    return n_frames, n_per


def _bone_order(first_frame, linenos, skeleton, fname):
    """Bones of the first frame, validated against the skeleton's degrees of freedom.

    *linenos* holds the line numbers of the frame number and of its bone lines.
    """
    order, n_values = [], []
    for lineno, parts in zip(linenos[1:], first_frame):
        name = parts[0]
        bone = skeleton.bones.get(name)
        if bone is None or not bone.dof:
            raise MocapParseError(fname, lineno, "a bone with degrees of freedom in "
                                  "the skeleton", name)
        if name in order:
            raise MocapParseError(fname, lineno, f"each bone once per frame ({name!r} "
                                  "is repeated)", name)
        if len(parts) - 1 != len(bone.dof):
            raise MocapParseError(fname, lineno, f"{len(bone.dof)} value(s) for "
                                  f"{name!r} (dof {' '.join(bone.dof)})", " ".join(parts))
        order.append(name)
        n_values.append(len(bone.dof))
    missing = [b.name for b in skeleton.bones.values() if b.dof and b.name not in order]
    if missing:
        raise MocapParseError(fname, linenos[0], "a line in this frame for every bone "
                              f"with degrees of freedom; missing: {', '.join(missing)}")
    return order, np.array(n_values)


def _to_array(bone_tokens, linenos, fname):
    """Convert all values at once; only on failure go line by line to name the culprit."""
    try:
        values = np.array(list(chain.from_iterable(t[1:] for t in bone_tokens)),
                          dtype=np.float64)
        if np.isfinite(values).all():
            return values
    except ValueError:
        pass
    values = []
    for lineno, parts in zip(linenos, bone_tokens):
        for token in parts[1:]:
            values.append(to_float(token, fname, lineno,
                                   f"finite numbers after {parts[0]!r}"))
    return np.array(values)


def _columns(order, skeleton):
    """Skeleton channel index of every value of a frame, in file order."""
    index = {name: i for i, name in enumerate(skeleton.channel_names)}
    return np.array([index[f"{name}_{dof}"] for name in order
                     for dof in skeleton.bones[name].dof])

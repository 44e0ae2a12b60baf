"""What the CMU database's files hold, to check found and downloaded files against."""

from itertools import zip_longest
from typing import NamedTuple

from .._validation import check_int


class SubjectRecord(NamedTuple):
    """The channel layout of a subject's skeleton and the frames of every trial.

    ``layout`` lists ``bone=dof,dof`` for every bone with degrees of freedom, in
    the ASF's bone order; ``n_frames`` maps trial number to frame count.
    """

    layout: str
    n_frames: dict

    @property
    def channel_names(self):
        return [f"{bone}_{dof}" for entry in self.layout.split()
                for bone, dofs in [entry.split("=")] for dof in dofs.split(",")]


_SUBJECT7_LAYOUT = (
    "root=tx,ty,tz,rx,ry,rz lfemur=rx,ry,rz ltibia=rx lfoot=rx,rz ltoes=rx "
    "rfemur=rx,ry,rz rtibia=rx rfoot=rx,rz rtoes=rx lowerback=rx,ry,rz upperback=rx,ry,rz "
    "thorax=rx,ry,rz lowerneck=rx,ry,rz upperneck=rx,ry,rz head=rx,ry,rz lclavicle=ry,rz "
    "lhumerus=rx,ry,rz lradius=rx lwrist=ry lhand=rx,rz lfingers=rx lthumb=rx,rz "
    "rclavicle=ry,rz rhumerus=rx,ry,rz rradius=rx rwrist=ry rhand=rx,rz rfingers=rx "
    "rthumb=rx,rz")

#: Subject -> :class:`SubjectRecord` of the CMU database's files. Checksums of
#: CMU's own downloads are not known here (the files at hand are copies, six of
#: subject 7's recovered from the BVH conversion), so what is checked is what
#: parsing shows: the skeleton's channels and every trial's frame count.
REGISTRY = {7: SubjectRecord(_SUBJECT7_LAYOUT, dict(zip(range(1, 13), (
    316, 329, 415, 449, 517, 417, 379, 362, 306, 301, 315, 263))))}


def check_against_registry(subject, skeleton, motions, trials, url):
    """Raise a ValueError if parsed files disagree with the :data:`REGISTRY`.

    Subjects and trials not in the registry are not checked.
    """
    record = REGISTRY.get(check_int(subject, "subject", minimum=1))
    if record is None:
        return
    fix = (f"The file is truncated or not the database's: delete it so that it is "
           f"downloaded again, or replace it with the original from {url}")
    if skeleton.channel_names != record.channel_names:
        differ, (found, expected) = next(
            (i, pair) for i, pair in enumerate(zip_longest(
                skeleton.channel_names, record.channel_names))
            if pair[0] != pair[1])
        raise ValueError(
            f"{skeleton.name or 'the skeleton'} of subject {subject} has "
            f"{skeleton.n_channels} channels, and channel {differ + 1} is "
            f"{found or 'missing'} where CMU's skeleton has {expected or 'none'} (of "
            f"{len(record.channel_names)}). {fix}")
    for trial, motion in zip(trials, motions):
        expected = record.n_frames.get(trial)
        if expected is not None and motion.n_frames != expected:
            raise ValueError(f"{motion.fname} has {motion.n_frames} frames, but CMU's "
                             f"trial {subject:02d}_{trial:02d} has {expected}. {fix}")

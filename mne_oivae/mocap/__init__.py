"""Motion capture (CMU ASF/AMC): parsing, joint-grouped data and forward kinematics.

The adapter between the CMU Graphics Lab Motion Capture Database and
:class:`mne_oivae.OIVAE`: :func:`load_cmu_trials` turns trials into a data matrix
with one group per joint, :func:`forward_kinematics` and
:func:`mne_oivae.viz.plot_poses` turn (sampled) joint angles back into bodies.
"""

from ._amc import Motion, read_amc
from ._asf import Bone, Skeleton, read_asf
from ._errors import MocapDataNotFoundError, MocapParseError
from ._kinematics import forward_kinematics
from ._load import (SUBJECT7_BRISK_WALK, SUBJECT7_WALKS, MocapTrials, fetch_cmu_mocap,
                    load_cmu_trials)
from ._scaler import ChannelScaler

__all__ = ["Bone", "ChannelScaler", "MocapDataNotFoundError", "MocapParseError",
           "MocapTrials", "Motion", "SUBJECT7_BRISK_WALK", "SUBJECT7_WALKS", "Skeleton",
           "fetch_cmu_mocap", "forward_kinematics", "load_cmu_trials", "read_amc",
           "read_asf"]

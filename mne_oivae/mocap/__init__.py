"""Motion capture (CMU ASF/AMC, BVH): parsing, joint-grouped data, forward kinematics.

The adapter between the CMU Graphics Lab Motion Capture Database and
:class:`mne_oivae.OIVAE`: :func:`load_cmu_trials` turns trials into a data matrix
with one group per joint, :func:`read_bvh` reads BVH files (as ASF/AMC angles
given the subject's skeleton), :func:`forward_kinematics` and
:func:`mne_oivae.viz.plot_poses` turn (sampled) joint angles back into bodies.
"""

from ._amc import Motion, read_amc
from ._asf import Bone, Skeleton, read_asf
from ._bvh import CMU_BVH_TO_ASF, BVHMotion, read_bvh
from ._errors import MocapDataNotFoundError, MocapParseError
from ._kinematics import forward_kinematics
from ._load import (SUBJECT7_BRISK_WALK, SUBJECT7_WALKS, MocapTrials, fetch_cmu_mocap,
                    load_cmu_trials)
from ._paper import PAPER_TABLE2, PAPER_TABLE2_TRIALS
from ._scaler import ChannelScaler
from ._tables import top_joints_table

__all__ = ["BVHMotion", "Bone", "CMU_BVH_TO_ASF", "ChannelScaler", "MocapDataNotFoundError",
           "MocapParseError", "MocapTrials", "Motion", "PAPER_TABLE2", "PAPER_TABLE2_TRIALS",
           "SUBJECT7_BRISK_WALK",
           "SUBJECT7_WALKS", "Skeleton", "fetch_cmu_mocap", "forward_kinematics",
           "load_cmu_trials", "read_amc", "read_asf", "read_bvh", "top_joints_table"]

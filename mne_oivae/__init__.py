"""mne-oivae: output-interpretable VAEs (oi-VAE) for grouped data in MNE workflows."""

from importlib.metadata import PackageNotFoundError, version

from . import datasets, group, metrics, presets, results, viz
from ._io import FormatError
from ._recordings import RecordingError
from ._engine import DivergenceError
from .estimator import OIVAE, NotFittedError, read_oivae
from .groups import GroupSpec
from .report import add_oivae_to_report
from .results import group_interactions, top_groups
from .selection import OIVAECV, choose_architecture
from .source import (GroupedSource, component_maps, fsaverage_subjects_dir,
                     read_hcpmmp1_labels, save_component_maps, stc_to_groups)

try:
    __version__ = version("mne-oivae")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["OIVAE", "OIVAECV", "choose_architecture", "GroupSpec", "read_oivae", "NotFittedError",
           "DivergenceError", "FormatError", "RecordingError", "stc_to_groups", "component_maps",
           "save_component_maps", "top_groups", "group_interactions", "GroupedSource",
           "read_hcpmmp1_labels", "fsaverage_subjects_dir", "add_oivae_to_report", "datasets",
           "group",
           "metrics", "presets", "results", "viz",
           "__version__"]

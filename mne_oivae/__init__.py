"""mne-oivae: output-interpretable VAEs (oi-VAE) for grouped data in MNE workflows."""

from importlib.metadata import PackageNotFoundError, version

from . import datasets, metrics, presets, viz
from ._io import FormatError
from ._train import DivergenceError
from .estimator import OIVAE, NotFittedError, read_oivae
from .groups import GroupSpec
from .hcpmmp1 import read_hcpmmp1_labels
from .selection import OIVAECV
from .source import (GroupedSource, component_maps, group_interactions,
                     save_component_maps, stc_to_groups, top_groups)

try:
    __version__ = version("mne-oivae")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["OIVAE", "OIVAECV", "GroupSpec", "read_oivae", "NotFittedError",
           "DivergenceError", "FormatError", "stc_to_groups", "component_maps",
           "save_component_maps", "top_groups", "group_interactions", "GroupedSource",
           "read_hcpmmp1_labels", "datasets", "metrics", "presets", "viz",
           "__version__"]

"""mne-oivae: output-interpretable VAEs (oi-VAE) for grouped data in MNE workflows."""

from importlib.metadata import PackageNotFoundError, version

from .groups import GroupSpec

try:
    __version__ = version("mne-oivae")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["GroupSpec", "__version__"]

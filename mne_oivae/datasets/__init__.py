"""Synthetic data sets with known structure."""

from ._bars import make_bars
from ._networks import SimulatedNetworks, simulate_networks
from ._sensor_forward import make_fsaverage_forward
from ._sensor_networks import SimulatedRecording, simulate_recording

__all__ = ["make_bars", "simulate_networks", "SimulatedNetworks", "simulate_recording",
           "SimulatedRecording", "make_fsaverage_forward"]

"""Synthetic data sets with known structure, and the real recording of the tutorials."""

from ._bars import make_bars
from ._networks import SimulatedNetworks, simulate_networks
from ._sample_meg import fetch_sample_evoked
from ._sensor_forward import make_fsaverage_forward
from ._sensor_networks import SimulatedRecording, simulate_recording

__all__ = ["make_bars", "simulate_networks", "SimulatedNetworks", "simulate_recording",
           "SimulatedRecording", "make_fsaverage_forward", "fetch_sample_evoked"]

"""Synthetic data sets with known structure, and the real recording of the tutorials."""

from ._bars import make_bars
from ._networks import SimulatedNetworks, simulate_networks
from ._sample_meg import fetch_sample_evoked

__all__ = ["make_bars", "simulate_networks", "SimulatedNetworks", "fetch_sample_evoked"]

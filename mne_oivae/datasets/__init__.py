"""Synthetic data sets with known structure."""

from ._bars import make_bars
from ._networks import SimulatedNetworks, simulate_networks

__all__ = ["make_bars", "simulate_networks", "SimulatedNetworks"]

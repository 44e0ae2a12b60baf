"""Synthetic data sets with known structure, and fetchers of public data."""

from ._bars import make_bars

__all__ = ["make_bars"]

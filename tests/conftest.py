"""Shared test set-up: Agg backend, offline data locations, small torch thread pool."""

import os
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
# The test models are tiny: one intra-op thread avoids OpenMP start-up and
# spin-wait costs that dominate at this size (and on a shared 2-core CI box).
torch.set_num_threads(1)

# CI and developers keep public test data in ../shared/data (see its README);
# MNE_OIVAE_SHARED_DATA overrides the location.
SHARED_DATA = Path(os.environ.get(
    "MNE_OIVAE_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data():
    """Path of the shared public data, or skip when it is truly absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA} (set "
                    "MNE_OIVAE_SHARED_DATA to its location)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")

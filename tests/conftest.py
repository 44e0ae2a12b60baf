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


@pytest.fixture(scope="session")
def display():
    """A display for Qt/pyvista brain rendering: the real one, or a private Xvfb.

    Starting Xvfb here (when installed and no display is set) lets the README's
    plain ``pytest`` command render brains headless, in CI as on a laptop.
    """
    import shutil
    import subprocess
    import sys
    import time

    if not sys.platform.startswith("linux") or os.environ.get("DISPLAY"):
        yield os.environ.get("DISPLAY")
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        yield None
        return
    for number in range(90, 110):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and \
                not Path(f"/tmp/.X{number}-lock").exists():
            break
    proc = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(50):
        if Path(f"/tmp/.X11-unix/X{number}").exists():
            break
        time.sleep(0.1)
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield os.environ["DISPLAY"]
    finally:
        del os.environ["DISPLAY"]
        proc.terminate()
        proc.wait(timeout=10)

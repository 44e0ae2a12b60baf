"""Component maps on the brain (3D and flat) and the interaction circle."""

import importlib.util
import os
import sys

import matplotlib.pyplot as plt
import mne
import numpy as np
import pytest
from _source_fixtures import hcp_labels, meg_stc, subjects_dir  # noqa: F401
from matplotlib.patches import PathPatch

import mne_oivae.viz._brain as brain_mod
from mne_oivae.source import component_maps, stc_to_groups
from mne_oivae.viz import component_image, plot_component, plot_group_interactions


class _Fitted:
    def __init__(self, weights, groups):
        self.group_weights_ = weights
        self.groups_ = groups


@pytest.fixture(scope="module")
def fitted(meg_stc, hcp_labels):  # noqa: F811
    """Stand-in fit: component 0 = auditory regions, 1 pruned, 2 = V1."""
    grouped = stc_to_groups(meg_stc, hcp_labels, mode="mean")
    names = grouped.groups.names
    weights = np.zeros((len(names), 3))
    for g, name in enumerate(names):
        weights[g, 0] = 1.0 + g / 100 if "Auditory" in name else 0.0
        weights[g, 2] = 0.7 if "(V1)" in name else 0.0
    model = _Fitted(weights, grouped.groups)
    return model, component_maps(model, grouped)


def _needs_display():
    """Skip without the 3D stack, or fail where CI sets MNE_OIVAE_REQUIRE_BRAIN=1."""
    missing = [m for m in ("pyvista", "pyvistaqt", "qtpy")
               if importlib.util.find_spec(m) is None]
    reason = None
    if missing:
        reason = f"3D brain rendering needs {missing} (pip install 'mne-oivae[brain]')"
    elif sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                   or os.environ.get("WAYLAND_DISPLAY")):
        reason = ("3D brain rendering needs a display: install Xvfb (the tests start it) "
                  "or run pytest under xvfb-run -a")
    if reason and os.environ.get("MNE_OIVAE_REQUIRE_BRAIN") == "1":
        pytest.fail(reason)
    elif reason:
        pytest.skip(reason)


def test_plot_component_renders_png(fitted, subjects_dir, tmp_path, display):  # noqa: F811
    _needs_display()
    _, maps = fitted
    brain = plot_component(maps, 0, "fsaverage", subjects_dir, backend="auto",
                           size=(600, 400), show=False)
    try:
        assert isinstance(brain, mne.viz.Brain)
        # four short colorbar labels (MNE's eight ran together) and the caption at
        # the top left, above the surfaces (MNE's time label sat on the lower ones)
        assert brain._scalar_bar.GetNumberOfLabels() == 4
        assert brain._scalar_bar.GetLabelFormat() == "%.2g"
        caption = brain._actors["text"]["title"]
        assert caption.GetInput() == "component 0"
        assert caption.GetPosition()[1] >= 0.85  # viewport units: its top 15 %
        fname = tmp_path / "component_0.png"
        brain.save_image(fname)
        image = plt.imread(fname)[..., :3]
    finally:
        brain.close()
    assert image.shape[:2] == (400, 600)
    # the auditory cortex is painted: saturated red pixels, not just grey/white
    red = (image[..., 0] > 0.5) & (image[..., 1] < 0.3) & (image[..., 2] < 0.3)
    assert red.mean() > 0.005


def test_plot_component_flat_fallback(fitted, subjects_dir, monkeypatch):  # noqa: F811
    _, maps = fitted
    fig = plot_component(maps, 2, subjects_dir=subjects_dir, backend="flat", show=False)
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == ["lh lateral", "rh lateral", "lh medial",
                                               "rh medial"]
    assert all(len(ax.collections[0].get_offsets()) == 642 for ax in axes)
    assert fig._suptitle.get_text() == "component 2"
    (bar,) = [ax for ax in fig.axes if ax.get_ylabel() == "group weight"]
    assert 3 <= len(bar.get_yticks()) <= 5
    # "auto" falls back to the flat figure when pyvista is not installed
    monkeypatch.setattr(brain_mod, "find_spec", lambda name: None)
    fig = plot_component(maps, 0, subjects_dir=subjects_dir, hemi="lh", views="lateral",
                         show=False)
    assert isinstance(fig, plt.Figure)
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["lh lateral"]


def test_component_image_flat(fitted, subjects_dir):  # noqa: F811
    _, maps = fitted
    n_open = len(plt.get_fignums())
    image = component_image(maps, 0, "fsaverage", subjects_dir, backend="flat",
                            size=(600, 400))
    assert image.shape == (400, 600, 4) and image.dtype == np.uint8
    assert len(plt.get_fignums()) == n_open  # captured, then closed
    red = (image[..., 0] > 128) & (image[..., 1] < 80) & (image[..., 2] < 80)
    assert red.mean() > 0.001  # the auditory regions are painted
    with pytest.raises(TypeError, match="never shows a window"):
        component_image(maps, 0, show=True)


def test_plot_component_errors(fitted):
    _, maps = fitted
    with pytest.raises(ValueError, match="component 1 has no non-zero weight.*\\[0, 2\\]"):
        plot_component(maps, 1, backend="flat")
    with pytest.raises(ValueError, match=r"component must be in \[0, 2\]"):
        plot_component(maps, 3, backend="flat")
    with pytest.raises(TypeError, match="maps must be"):
        plot_component(maps.data, 0)
    vol = mne.VolSourceEstimate(maps.data[:5], [np.arange(5)], 0, 1)
    with pytest.raises(TypeError, match="draws cortical maps, got a VolSourceEstimate.*"
                                        "save_component_maps"):
        plot_component(vol, 0)


@pytest.mark.parametrize("with_mne_connectivity", [True, False])
def test_plot_group_interactions(fitted, monkeypatch, with_mne_connectivity):
    model, _ = fitted
    if with_mne_connectivity:
        pytest.importorskip("mne_connectivity")
    else:
        monkeypatch.setattr(brain_mod, "find_spec", lambda name: None)
    fig = plot_group_interactions(model, n_lines=10, title="shared", show=False)
    assert isinstance(fig, plt.Figure)
    polar = [ax for ax in fig.axes if ax.name == "polar"]
    assert len(polar) == 1
    # one curve per pair sharing a component: 6 auditory pairs and V1 lh-rh
    curves = [p for p in polar[0].patches if isinstance(p, PathPatch)]
    assert len(curves) == 7
    with pytest.raises(ValueError, match="one name per row"):
        plot_group_interactions(np.zeros((3, 3)), names=["a"])

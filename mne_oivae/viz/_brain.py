"""Component maps on the cortex and the region interaction circle."""

import os
import sys
from importlib.util import find_spec
from pathlib import Path

import mne
import numpy as np
from mne.utils import _check_option, _validate_type, logger

from .._docs import fill_doc
from ..results import group_interactions

_VIEW_SIDE = {("lh", "lateral"): -1, ("lh", "medial"): 1,
              ("rh", "lateral"): 1, ("rh", "medial"): -1}
# MNE's default colorbar puts 8 three-digit labels on a short bar, where they run
# together ("0.10.220.35..."): four short labels, clear of the surfaces below
_COLORBAR = {"n_labels": 4, "fmt": "%.2g", "label_font_size": 20, "width": 0.5,
             "position_x": 0.25, "position_y": 0.02, "height": 0.06}


def plot_component(maps, component, subject="fsaverage", subjects_dir=None, *,
                   hemi="split", views=("lateral", "medial"), surface="inflated",
                   cmap="Reds", size=(800, 600), backend="auto", title=None, show=True):
    """Show one component map on the cortical surface.

    Parameters
    ----------
    maps : mne.SourceEstimate
        Output of :func:`mne_oivae.component_maps` (one "time" sample per
        component).
    component : int
        The component to show.
    subject : str
        FreeSurfer subject of the surfaces, e.g. ``"fsaverage"``.
    subjects_dir : path-like | None
        Subjects directory; ``None`` uses ``SUBJECTS_DIR``.
    hemi : ``"split"`` | ``"both"`` | ``"lh"`` | ``"rh"``
        Hemispheres, as in :class:`mne.viz.Brain`.
    views : tuple of str
        Views, as in :class:`mne.viz.Brain` (the flat backend draws
        ``"lateral"`` and ``"medial"``).
    surface : str
        Surface to draw on.
    cmap : str
        Colormap; vertices below 10% of the component's peak are transparent.
    size : tuple of int
        Figure size in pixels.
    backend : ``"auto"`` | ``"brain"`` | ``"flat"``
        ``"brain"`` renders a 3D :class:`mne.viz.Brain` (needs ``pyvista``,
        ``pyvistaqt``, a Qt binding and a display; ``xvfb-run`` provides one on a
        headless machine). ``"flat"`` draws the source vertices in matplotlib,
        seen from the side (no 3D dependencies). ``"auto"`` picks ``"brain"``
        when pyvista and pyvistaqt are installed and (on Linux) a display is
        set.
    title : str | None
        Caption, in the top left corner; ``None``: ``"component <component>"``,
        ``""``: none.
    show : bool
        Show the window (or figure). With False the Brain renders off-screen,
        for scripts that only save images: use ``brain.save_image(fname)`` or
        ``brain.screenshot()``.

    Returns
    -------
    fig : mne.viz.Brain | matplotlib.figure.Figure
        The Brain (``"brain"`` backend) or the figure (``"flat"``).

    Examples
    --------
    >>> maps = component_maps(model, grouped)  # doctest: +SKIP
    >>> brain = plot_component(maps, 0, show=False)  # doctest: +SKIP
    >>> brain.save_image("component_0.png")  # doctest: +SKIP
    """
    if isinstance(maps, (mne.VolSourceEstimate, mne.MixedSourceEstimate)):
        raise TypeError(f"plot_component draws cortical maps, got a {type(maps).__name__}; "
                        "show volume maps with maps.plot(src=...) or write them with "
                        "mne_oivae.save_component_maps for a volume viewer")
    _validate_type(maps, mne.SourceEstimate, "maps", "SourceEstimate (from component_maps)")
    _validate_type(component, "int", "component")
    _check_option("backend", backend, ("auto", "brain", "flat"))
    if not 0 <= component < maps.data.shape[1]:
        raise ValueError(f"component must be in [0, {maps.data.shape[1] - 1}] (maps holds "
                         f"{maps.data.shape[1]} components), got {component}")
    peak = float(maps.data[:, component].max())
    if peak <= 0:
        active = np.flatnonzero(maps.data.max(axis=0) > 0).tolist()
        raise ValueError(f"component {component} has no non-zero weight (it was pruned); "
                         f"components with weights: {active}")
    if backend == "auto":
        backend = "brain" if _can_render_3d() else "flat"
        logger.info(f"Plotting component {component} with the {backend!r} backend")
    views = [views] if isinstance(views, str) else list(views)
    title = f"component {component}" if title is None else title
    if backend == "flat":
        fig = _plot_flat(maps, component, peak, subject, subjects_dir, hemi, views,
                         surface, cmap, size, title)
        if show:
            import matplotlib.pyplot as plt

            plt.show()
        return fig
    clim = {"kind": "value", "lims": [0.1 * peak, 0.5 * peak, peak]}
    brain = maps.plot(subject=subject, subjects_dir=subjects_dir, surface=surface,
                      hemi=hemi, views=views, colormap=cmap, clim=clim,
                      initial_time=float(maps.times[component]), time_viewer=False,
                      show_traces=False, time_label=None, size=size,
                      background="white", backend="pyvistaqt",
                      add_data_kwargs={"colorbar_kwargs": _COLORBAR},
                      brain_kwargs={"show": show})
    # in the top left corner, above the surfaces (MNE's time label sits on the
    # lower ones)
    if title:
        brain.add_text(0.02, 0.9, title, name="title", color="black", font_size=14,
                       row=0, col=0)
    return brain


def component_image(maps, component, subject="fsaverage", subjects_dir=None, **kwargs):
    """Render one component map off-screen and return the picture.

    For figures that put several brains side by side (``ax.imshow``) and for
    reports: the window is never shown and is closed once captured.

    Parameters
    ----------
    maps : mne.SourceEstimate
        Output of :func:`mne_oivae.component_maps`.
    component : int
        The component to render.
    subject : str
        FreeSurfer subject of the surfaces.
    subjects_dir : path-like | None
        Subjects directory; ``None`` uses ``SUBJECTS_DIR``.
    **kwargs
        Passed to :func:`plot_component` (``hemi``, ``views``, ``size``,
        ``backend``, ``title``, ...), except ``show``.

    Returns
    -------
    image : ndarray, shape (height, width, 3 or 4)
        The screenshot of the 3D brain (RGB) or the flat figure's pixels (RGBA).

    Examples
    --------
    >>> maps = component_maps(model, grouped)  # doctest: +SKIP
    >>> fig, axes = plt.subplots(1, 2)  # doctest: +SKIP
    >>> for ax, j in zip(axes, model.active_components_[:2]):  # doctest: +SKIP
    ...     ax.imshow(component_image(maps, int(j), size=(700, 500)))
    """
    if "show" in kwargs:
        raise TypeError("component_image never shows a window; drop show=")
    fig = plot_component(maps, component, subject, subjects_dir, show=False, **kwargs)
    if isinstance(fig, mne.viz.Brain):
        image = fig.screenshot()
        fig.close()
        return image
    import matplotlib.pyplot as plt

    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba()).copy()
    plt.close(fig)
    return image


def _can_render_3d():
    if not (find_spec("pyvista") and find_spec("pyvistaqt")):
        return False
    return not sys.platform.startswith("linux") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _plot_flat(maps, component, peak, subject, subjects_dir, hemi, views, surface,
               cmap, size, title):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    subjects_dir = Path(mne.utils.get_subjects_dir(subjects_dir, raise_error=True))
    hemis = ["lh", "rh"] if hemi in ("split", "both") else [hemi]
    views = [v for v in views if v in ("lateral", "medial")] or ["lateral"]
    fig, axes = plt.subplots(len(views), len(hemis), squeeze=False,
                             figsize=(size[0] / 100, size[1] / 100), layout="constrained")
    cmap, norm = plt.get_cmap(cmap), plt.Normalize(0, peak)
    values = np.split(maps.data[:, component], [len(maps.vertices[0])])
    for h in hemis:
        vertno = maps.vertices[h == "rh"]
        rr = mne.read_surface(subjects_dir / subject / "surf" / f"{h}.{surface}")[0][vertno]
        colors = cmap(norm(values[h == "rh"]))
        colors[values[h == "rh"] < 0.1 * peak] = (0.8, 0.8, 0.8, 1.0)
        for row, view in enumerate(views):
            side = _VIEW_SIDE[(h, view)]
            order = np.argsort(side * rr[:, 0])  # painter's order: nearest drawn last
            ax = axes[row, hemis.index(h)]
            ax.scatter(side * rr[order, 1], rr[order, 2], c=colors[order], s=12,
                       linewidths=0)
            ax.set(aspect="equal", title=f"{h} {view}")
            ax.set_axis_off()
    fig.colorbar(plt.cm.ScalarMappable(norm, cmap), ax=axes, shrink=0.6,
                 label="group weight", ticks=MaxNLocator(4))
    fig.suptitle(title)
    return fig


@fill_doc
def plot_group_interactions(model_or_matrix, names=None, *, n_lines=None, cmap="Reds",
                            title=None, show=True):
    """Draw shared-component strength between regions as a connectivity circle.

    Parameters
    ----------
    model_or_matrix : OIVAE | array-like, shape (n_groups, n_groups)
        A fitted model (its :func:`mne_oivae.group_interactions` is drawn) or
        such a symmetric matrix.
    names : list of str | None
        Node names; defaults to the model's group names. Names ending in
        ``-lh`` / ``-rh`` are laid out as left and right half circles.
    n_lines : int | None
        Draw only the strongest ``n_lines`` connections (all non-zero if None).
    cmap : str
        Colormap of the connections.
    title : str | None
        Figure title.
    %(show)s

    Returns
    -------
    fig : matplotlib.figure.Figure
        Drawn with :func:`mne_connectivity.viz.plot_connectivity_circle` when
        mne-connectivity is installed, else with an equivalent polar plot.

    Examples
    --------
    >>> fig = plot_group_interactions(model, n_lines=30)  # doctest: +SKIP
    """
    if hasattr(model_or_matrix, "group_weights_"):
        strength = group_interactions(model_or_matrix)
        names = model_or_matrix.groups_.names if names is None else names
    else:
        strength = np.asarray(model_or_matrix, dtype=float)
    if strength.ndim != 2 or strength.shape[0] != strength.shape[1]:
        raise ValueError("model_or_matrix must be a fitted model or a square matrix, got "
                         f"shape {strength.shape}")
    if names is None or len(names) != strength.shape[0]:
        raise ValueError(f"names must give one name per row of the matrix "
                         f"({strength.shape[0]}), got "
                         f"{'None' if names is None else len(names)}")
    names = [str(n) for n in names]
    lh = [n for n in names if n.endswith("-lh")]
    rh = [n for n in names if n.endswith("-rh")]
    if len(lh) + len(rh) == len(names) and lh and rh:
        order, bounds = lh[::-1] + rh, [0, len(lh)]
    else:
        order, bounds = names, None
    angles = mne.viz.circular_layout(names, order, start_pos=90, group_boundaries=bounds)
    n_nonzero = int(np.count_nonzero(np.triu(strength, k=1)))
    n_lines = n_nonzero if n_lines is None else min(n_lines, n_nonzero)
    if find_spec("mne_connectivity"):
        from mne_connectivity.viz import plot_connectivity_circle

        fig, _ = plot_connectivity_circle(
            strength, names, n_lines=n_lines, node_angles=angles, facecolor="white",
            textcolor="black", node_edgecolor="white", colormap=cmap, title=title,
            fontsize_names=7, interactive=False, show=show)
        return fig
    return _polar_circle(strength, names, angles, n_lines, cmap, title, show)


def _polar_circle(strength, names, angles, n_lines, cmap, title, show):
    import matplotlib.pyplot as plt
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    theta = np.deg2rad(angles)
    i, j = np.triu_indices(len(names), k=1)
    value = strength[i, j]
    keep = np.argsort(value)[::-1][:n_lines][::-1]  # strongest drawn last, on top
    fig = plt.figure(figsize=(9, 9))
    ax = fig.add_axes((0.2, 0.2, 0.6, 0.6), projection="polar")
    cmap = plt.get_cmap(cmap)
    vmax = value[keep].max() if keep.size else 1.0
    for a, b, v in zip(i[keep], j[keep], value[keep]):
        verts = [(theta[a], 10), (theta[a], 5), (theta[b], 5), (theta[b], 10)]
        path = MplPath(verts, [MplPath.MOVETO] + [MplPath.CURVE4] * 3)
        ax.add_patch(PathPatch(path, fill=False, edgecolor=cmap(v / vmax),
                               linewidth=1.5, alpha=0.8))
    ax.bar(theta, 1.0, width=2 * np.pi / len(names) * 0.8, bottom=10, color="0.4")
    for t, name in zip(theta, names):
        deg = np.rad2deg(t) % 360
        flip = 90 < deg < 270
        ax.text(t, 11.5, name, rotation=deg + 180 * flip, rotation_mode="anchor",
                ha="right" if flip else "left", va="center", fontsize=7)
    ax.set(ylim=(0, 11), xticks=[], yticks=[])
    ax.spines["polar"].set_visible(False)
    fig.colorbar(plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, vmax)),
                 cax=fig.add_axes((0.9, 0.05, 0.02, 0.15)), label="strength")
    if title is not None:
        ax.set_title(title)
    if show:
        plt.show()
    return fig

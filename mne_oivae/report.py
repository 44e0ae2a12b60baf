"""A fitted oi-VAE as a section of an :class:`mne.Report`."""

import html

import mne
from mne.utils import _check_option, _validate_type, logger, verbose

from ._docs import fill_doc
from ._validation import check_int
from .estimator import OIVAE
from .results import fitted_weights, top_groups
from .selection import OIVAECV, chosen_lam_text
from .source import GroupedSource, component_maps, save_component_maps
from .viz import component_image, plot_group_weights, plot_lam_selection

__all__ = ["add_oivae_to_report"]

_BRAIN_BACKENDS = ("auto", "brain", "flat")


@verbose
@fill_doc
def add_oivae_to_report(report, model, grouped=None, *, title="oi-VAE", n_regions=5,
                        subjects_dir=None, brain_backend="auto", maps_fname=None,
                        src=None, overwrite=False, replace=False, verbose=None):
    """Add a fitted model's networks to an MNE report, as one section.

    The section (``section=title`` of :meth:`mne.Report.add_figure`, tagged
    ``"oivae"``) holds, in order:

    - ``"Region weights"``: the groups x components heatmap of
      ``group_weights_`` (:func:`~mne_oivae.viz.plot_group_weights`);
    - ``"Choosing lam"``: held-out score and map stability against
      ``lam`` (:func:`~mne_oivae.viz.plot_lam_selection`), for an
      :class:`~mne_oivae.OIVAECV` only;
    - ``"Top regions"``: a table of the strongest regions of every
      active component and their share of its weight
      (:func:`~mne_oivae.top_groups` with ``norm="total"``);
    - ``"Component maps"``: every active component on the cortex
      (:func:`~mne_oivae.component_maps` drawn by
      :func:`~mne_oivae.viz.plot_component`), one slider image per component,
      when ``grouped`` is given and ``brain_backend`` is not None;
    - ``"Map files"``: the GIFTI/NIfTI files written by
      :func:`~mne_oivae.save_component_maps`, when ``maps_fname`` is given.

    Parameters
    ----------
    report : mne.Report
        The report to add to.
    model : OIVAE | OIVAECV
        A fitted model; for an :class:`~mne_oivae.OIVAECV` the chosen model
        (``best_estimator_``) is shown, with the selection curve.
    grouped : GroupedSource | None
        The :func:`~mne_oivae.stc_to_groups` output the model was fitted on;
        needed for the brain maps and the map files. ``None`` adds the figure
        and the table only.
    title : str
        Name of the section.
    n_regions : int
        Regions listed per component in the table.
    subjects_dir : path-like | None
        Subjects directory with the surfaces of ``grouped.subject``; ``None``
        uses ``SUBJECTS_DIR``.
    brain_backend : ``"auto"`` | ``"brain"`` | ``"flat"`` | None
        How the component maps are drawn (``backend`` of
        :func:`~mne_oivae.viz.plot_component`): ``"brain"`` renders 3D
        :class:`mne.viz.Brain` screenshots (needs pyvista, pyvistaqt and a
        display; ``xvfb-run`` gives a headless machine one), ``"flat"`` draws
        the source points in matplotlib, ``"auto"`` picks ``"brain"`` when it
        can render and ``"flat"`` otherwise (the log says which). ``None``
        adds no maps. Volume and mixed source estimates have no cortical
        drawing: their maps are skipped, with a log message, unless
        ``"brain"`` or ``"flat"`` is asked for explicitly (an error).
    maps_fname : path-like | None
        If given, write the maps with :func:`~mne_oivae.save_component_maps`
        under this base name (e.g. ``"networks"`` gives
        ``networks-lh.func.gii`` and ``networks-rh.func.gii``) and list the
        files in the report. Needs ``grouped`` and ``src``.
    src : mne.SourceSpaces | None
        Source space of ``grouped``'s estimates, for ``maps_fname``.
    overwrite : bool
        Replace existing map files.
    replace : bool
        Replace the entries of an existing section of this title (as in
        :meth:`mne.Report.add_figure`); with False they are added again.
    %(verbose)s

    Returns
    -------
    report : mne.Report
        The same report, with the section added.

    See Also
    --------
    mne_oivae.component_maps, mne_oivae.save_component_maps, mne_oivae.top_groups

    Examples
    --------
    >>> report = mne.Report(title="Networks")  # doctest: +SKIP
    >>> add_oivae_to_report(report, search, grouped, subjects_dir=subjects_dir,
    ...                     maps_fname="networks", src=inv["src"])  # doctest: +SKIP
    >>> report.save("networks.html")  # doctest: +SKIP
    """
    _validate_type(report, mne.Report, "report", "mne.Report")
    _validate_type(model, (OIVAE, OIVAECV), "model", "OIVAE or OIVAECV")
    _validate_type(title, str, "title")
    estimator = model if isinstance(model, OIVAE) else _chosen(model)
    fitted_weights(estimator)  # an error that says so if it is not fitted
    if grouped is not None:
        _validate_type(grouped, GroupedSource, "grouped", "GroupedSource or None")
    if brain_backend is not None:
        _check_option("brain_backend", brain_backend, _BRAIN_BACKENDS)
    if maps_fname is not None and (grouped is None or src is None):
        raise ValueError("maps_fname needs the data's GroupedSource and source space to "
                         "write the maps: pass grouped=<stc_to_groups output> and "
                         "src=inv['src'] (or fwd['src']), or maps_fname=None")
    n_regions = check_int(n_regions, "n_regions", minimum=1)
    maps = None if grouped is None else component_maps(estimator, grouped)
    draw = _drawing_backend(brain_backend, grouped)
    fnames = [] if maps_fname is None else save_component_maps(
        maps, maps_fname, src=src, overwrite=overwrite)  # before the report changes
    active = estimator.active_components_.tolist()
    add = {"section": title, "tags": ("oivae",), "replace": replace}

    fig = plot_group_weights(estimator, show=False, title=_weights_title(model),
                             axes=_weights_axes(estimator))
    report.add_figure(fig, "Region weights", caption=(
        f"||W(g)[:, j]|| of every region g and component j; {len(active)} of "
        f"{estimator.n_components} components active."), **add)
    _close(fig)
    if isinstance(model, OIVAECV):
        fig = plot_lam_selection(model, show=False)
        report.add_figure(fig, "Choosing lam", caption=(
            f"Held-out log-likelihood over {model.cv_scores_.shape[1]} folds; chosen "
            f"lam = {chosen_lam_text(model)}."), **add)
        _close(fig)
    report.add_html(_top_regions_table(estimator, n_regions), "Top regions",
                    **add)
    if draw is not None and active:
        images = [component_image(maps, j, grouped.subject, subjects_dir,
                                  size=(700, 500), backend=draw) for j in active]
        report.add_figure(images, "Component maps",
                          caption=[f"component {j}" for j in active], **add)
    if fnames:
        items = "".join(f"<li><code>{html.escape(str(f))}</code></li>" for f in fnames)
        report.add_html("<p>Component j is the GIFTI data array <code>component j</code> "
                        "(one value per surface vertex) or the j-th volume of the NIfTI "
                        f"image (on the MRI grid):</p><ul>{items}</ul>", "Map files",
                        **add)
    logger.info(f"Added oi-VAE section {title!r} to the report ({len(active)} active "
                "components)")
    return report


def _chosen(model):
    if not hasattr(model, "best_estimator_"):
        raise ValueError("model (OIVAECV) is not fitted: it has no best_estimator_; "
                         "call model.fit(X, epochs=...) first")
    return model.best_estimator_


def _weights_title(model):
    if isinstance(model, OIVAECV):
        return f"region weights of every component (lam = {model.lam_:g})"
    return f"region weights of every component (lam = {model.lam:g})"


def _weights_axes(model):
    """Axes wide enough for long region names next to a few components."""
    import matplotlib.pyplot as plt

    n_groups, n_components = model.group_weights_.shape
    longest = max(len(name) for name in model.groups_.names)
    _, axes = plt.subplots(figsize=(2.0 + 0.06 * longest + 0.3 * n_components,
                                    1.0 + 0.2 * max(n_groups, 4)), layout="constrained")
    return axes


def _drawing_backend(brain_backend, grouped):
    """The plot_component backend for the maps, or None (with the reason logged)."""
    if brain_backend is None:
        return None
    if grouped is None:
        logger.info("No component maps in the report: pass grouped=<the stc_to_groups "
                    "output the model was fitted on> to add them")
        return None
    if grouped.kind != "surface":
        if brain_backend != "auto":
            raise ValueError(f"brain_backend={brain_backend!r} draws cortical maps, but "
                             f"the data are {grouped.kind} source estimates; use "
                             "brain_backend=None (or 'auto', which skips them) and "
                             "maps_fname= to write them for a volume viewer")
        logger.info(f"No component maps in the report: {grouped.kind} source estimates "
                    "have no cortical drawing (write them with maps_fname=)")
        return None
    return brain_backend


def _top_regions_table(model, n_regions):
    """HTML table: every active component, its total weight and strongest regions."""
    tops = top_groups(model, k=n_regions, norm="total")
    totals = fitted_weights(model).sum(axis=0)
    rows = []
    for j in model.active_components_:
        regions = "; ".join(f"{html.escape(name)} ({100 * share:.0f}%)"
                            for name, share in tops[j])
        rows.append(f"<tr><td>{j}</td><td>{totals[j]:.3g}</td><td>{regions}</td></tr>")
    if not rows:
        return "<p>No active component: the group lasso pruned every component.</p>"
    return ('<table class="table table-hover"><thead><tr><th>component</th>'
            "<th>total weight</th><th>strongest regions (share of the component's "
            f"weight)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)

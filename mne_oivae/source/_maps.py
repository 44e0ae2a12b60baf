"""A fitted model back on the brain: one map per component."""

from mne.utils import _validate_type

from ..results import fitted_weights
from ._groups import GroupedSource


def component_maps(model, grouped):
    """Paint every component's group weights on the brain.

    Parameters
    ----------
    model : OIVAE
        A model fitted on ``grouped.X`` and ``grouped.groups``.
    grouped : GroupedSource
        The output of :func:`stc_to_groups` used for the fit.

    Returns
    -------
    maps : mne.SourceEstimate | mne.VolSourceEstimate | mne.MixedSourceEstimate
        On the source space of the data, of the kind of the grouped estimates;
        its j-th "time" sample (time ``j``, ``tstep=1``) is component j: every
        source point of label g holds ``model.group_weights_[g, j]`` =
        ||W(g)[:, j]||, points outside every label hold 0.
        ``maps.plot(initial_time=j)`` or :func:`mne_oivae.viz.plot_component`
        shows it on the brain; :func:`save_component_maps` writes it for
        FreeSurfer, Connectome Workbench or FSLeyes.

    Examples
    --------
    >>> maps = component_maps(model, grouped)  # doctest: +SKIP
    >>> brain = maps.plot("fsaverage", initial_time=2)  # doctest: +SKIP
    """
    _validate_type(grouped, GroupedSource, "grouped")
    weights = fitted_weights(model)
    if model.groups_.names != grouped.groups.names:
        raise ValueError("model was not fitted on these groups: its groups are "
                         f"{model.groups_.names[:3]}... but grouped has "
                         f"{grouped.groups.names[:3]}...; fit with "
                         "OIVAE(groups=grouped.groups, ...).fit(grouped.X)")
    return grouped.paint(weights)

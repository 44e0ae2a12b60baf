"""Source estimates and labels in, per-component cortical maps out.

The MNE side of oi-VAE for MEG/EEG source data: :func:`stc_to_groups` turns
:class:`mne.SourceEstimate` objects and a parcellation into a data matrix and a
:class:`~mne_oivae.GroupSpec`; :func:`component_maps`, :func:`top_groups` and
:func:`group_interactions` turn a fitted model back into brain maps and tables.
"""

from dataclasses import dataclass, field
from types import GeneratorType

import mne
import numpy as np
from mne.utils import _check_option, _validate_type, logger, verbose

from .groups import GroupSpec

_LABEL_MODES = ("mean", "mean_flip", "pca_flip")
_STANDARDIZE = ("features", "global", None)
_CHUNK = 65536  # rows per block when standardising in place
_ANY_STC = (mne.SourceEstimate, mne.VectorSourceEstimate, mne.VolSourceEstimate,
            mne.VolVectorSourceEstimate, mne.MixedSourceEstimate,
            mne.MixedVectorSourceEstimate)


@dataclass(eq=False)
class GroupedSource:
    """Source data as one observation per time point, grouped by label.

    Returned by :func:`stc_to_groups`; pass ``X`` and ``groups`` to
    :meth:`mne_oivae.OIVAE.fit` and the object itself to
    :func:`component_maps`.

    Attributes
    ----------
    X : ndarray of float32, shape (n_samples, n_features)
        Standardised data: every time point of every source estimate is a row,
        in input order. ``inverse_transform(X)`` gives the source amplitudes.
    groups : GroupSpec
        One group per label, named by ``label.name``. In the label modes every
        group is one feature (the label time course); in ``"vertices"`` mode
        group g holds the source vertices of label g (see :meth:`vertices_of`).
    mode : str
        The extraction mode.
    vertices : list of ndarray, length 2
        Source space vertex numbers of the left and right hemisphere.
    subject : str | None
        Subject of the source estimates (or of the labels if the estimates
        carry none).
    group_rows : list of ndarray of int
        For every group, the rows of ``np.concatenate(vertices)`` (left
        hemisphere first, sorted) that its label covers.
    mean_ : ndarray, shape (n_features,)
        Per-feature offset removed by the standardisation.
    scale_ : ndarray, shape (n_features,)
        Per-feature divisor of the standardisation: ``X = (Y - mean_) /
        scale_`` for the raw feature matrix ``Y``.

    Examples
    --------
    See :ref:`sphx_glr_auto_tutorials_plot_meg_networks.py`.
    """

    X: np.ndarray
    groups: GroupSpec
    mode: str
    vertices: list
    subject: str | None
    group_rows: list = field(repr=False)
    mean_: np.ndarray = field(repr=False)
    scale_: np.ndarray = field(repr=False)

    def __repr__(self):
        n, p = self.X.shape
        return (f"<GroupedSource | {n} samples, {p} features in {self.groups.n_groups} "
                f"groups, mode={self.mode!r}, subject={self.subject!r}>")

    def inverse_transform(self, X):
        """Undo the standardisation: features back in source units (e.g. Am).

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
            Standardised data, such as ``self.X`` or ``model.sample(n)``.

        Returns
        -------
        Y : ndarray of float64, shape (n_samples, n_features)
            ``X * scale_ + mean_``.
        """
        return np.asarray(X, dtype=np.float64) * self.scale_ + self.mean_

    def vertices_of(self, group):
        """Source vertices covered by one group's label.

        Parameters
        ----------
        group : int | str
            Group index or label name.

        Returns
        -------
        vertices : list of ndarray, length 2
            Left and right hemisphere vertex numbers. In ``"vertices"`` mode the
            features ``groups.indices[g]`` are these vertices, in this order.
        """
        g = self.groups.names.index(group) if isinstance(group, str) else int(group)
        rows = self.group_rows[g]
        n_lh = len(self.vertices[0])
        return [self.vertices[0][rows[rows < n_lh]],
                self.vertices[1][rows[rows >= n_lh] - n_lh]]

    def paint(self, values, tmin=0.0, tstep=1.0):
        """A source estimate holding one value per group on its label's vertices.

        Parameters
        ----------
        values : array-like, shape (n_groups,) or (n_groups, n_times)
            Value(s) of every group.
        tmin, tstep : float
            Time axis of the result.

        Returns
        -------
        stc : mne.SourceEstimate
            Vertices outside every label hold 0; a vertex in several labels
            (possible in the label modes) holds the largest value.
        """
        values = np.asarray(values, dtype=np.float64)
        if values.ndim == 1:
            values = values[:, np.newaxis]
        if values.ndim != 2 or values.shape[0] != self.groups.n_groups:
            raise ValueError(f"values must have one row per group "
                             f"({self.groups.n_groups}), got shape {values.shape}")
        n_rows = sum(len(v) for v in self.vertices)
        data = np.full((n_rows, values.shape[1]), -np.inf)
        for rows, value in zip(self.group_rows, values):
            data[rows] = np.maximum(data[rows], value)
        data[np.isneginf(data)] = 0.0
        return mne.SourceEstimate(data, [v.copy() for v in self.vertices], tmin=tmin,
                                  tstep=tstep, subject=self.subject)


@verbose
def stc_to_groups(stcs, labels, *, mode="mean_flip", src=None, standardize="features",
                  verbose=None):
    """Turn source estimates and labels into grouped data for oi-VAE.

    Every time point of every source estimate is one observation, as in the
    MEG experiment of Ainsworth et al. (2018).

    Parameters
    ----------
    stcs : mne.SourceEstimate | list of SourceEstimate | generator
        Surface source estimates, all with the same vertices, e.g. the output of
        ``mne.minimum_norm.apply_inverse_epochs(..., return_generator=True)``.
        A generator is consumed once and filled into one array that grows
        geometrically; a list is filled into an array allocated once.
    labels : list of mne.Label | mne.BiHemiLabel
        The regions, e.g. from :func:`mne_oivae.read_hcpmmp1_labels`. Each label
        becomes a group named ``label.name``; every label needs at least one
        source vertex.
    mode : ``"mean_flip"`` | ``"mean"`` | ``"pca_flip"`` | ``"vertices"``
        ``"mean"``, ``"mean_flip"`` and ``"pca_flip"`` extract one time course
        per label with :func:`mne.extract_label_time_course` (one-dimensional
        groups). ``"vertices"`` keeps every source vertex inside a label as a
        feature of that label's group; labels must not overlap.
    src : mne.SourceSpaces | None
        The source space of the estimates (``inv["src"]`` or ``fwd["src"]``).
        Required by ``"mean_flip"`` and ``"pca_flip"`` for the surface normals;
        not used otherwise.
    standardize : ``"features"`` | ``"global"`` | None
        How the raw features ``Y`` (amplitudes around 1e-9 Am) become ``X =
        (Y - mean_) / scale_``: ``"features"`` (default) z-scores every column
        (a constant column keeps scale 1); ``"global"`` centres every column and
        divides all by one pooled standard deviation, keeping the relative
        amplitudes of features; ``None`` keeps ``Y`` as is. Undo it with
        :meth:`GroupedSource.inverse_transform`.
    verbose : bool | str | int | None
        Control verbosity of the logging output (MNE's convention).

    Returns
    -------
    grouped : GroupedSource
        ``grouped.X`` (float32, ``(n_samples, n_features)``) and
        ``grouped.groups`` go to :meth:`mne_oivae.OIVAE.fit`.

    See Also
    --------
    component_maps, mne.extract_label_time_course

    Examples
    --------
    >>> labels = read_hcpmmp1_labels(subjects_dir, accept=True)  # doctest: +SKIP
    >>> grouped = stc_to_groups(stcs, labels, src=inv["src"])  # doctest: +SKIP
    >>> model = OIVAE(n_components=8, groups=grouped.groups).fit(grouped.X)  # doctest: +SKIP
    >>> maps = component_maps(model, grouped)  # doctest: +SKIP
    """
    _check_option("mode", mode, _LABEL_MODES + ("vertices",))
    _check_option("standardize", standardize, _STANDARDIZE)
    labels = _check_labels(labels)
    known_total = None
    if isinstance(stcs, (list, tuple)):
        if len(stcs) == 0:
            raise ValueError("stcs is an empty list; pass at least one SourceEstimate")
        known_total = sum(_check_stc(stc, i).shape[1] for i, stc in enumerate(stcs))
    elif isinstance(stcs, _ANY_STC):
        stcs = [_check_stc(stcs, 0)]
    elif not isinstance(stcs, GeneratorType) and not hasattr(stcs, "__next__"):
        raise TypeError("stcs must be a SourceEstimate, a list of them or a generator, "
                        f"got {type(stcs).__name__}")
    if src is not None:
        _validate_type(src, mne.SourceSpaces, "src")
        if src.kind != "surface":
            raise ValueError(f"src must be a surface source space, got a {src.kind} one; "
                             "only cortical surface source estimates are supported")
    elif mode in ("mean_flip", "pca_flip"):
        raise ValueError(f'mode="{mode}" needs the source space for the sign flips: pass '
                         'src=inv["src"] (or fwd["src"]), or use mode="mean" or '
                         '"vertices", which need no src')

    stream = _CheckedStream(stcs, labels, mode)
    if mode == "vertices":
        blocks = (stc.data[stream.feature_rows].T for stc in stream)
    else:
        blocks = (tc.T for tc in mne.extract_label_time_course(
            iter(stream), labels, src, mode=mode, return_generator=True, verbose=False))
    with mne.utils.use_log_level(False):  # MNE logs one line per estimate
        Y = _fill(blocks, known_total)
    if stream.n_stcs == 0:
        raise ValueError("stcs is an empty generator; it must yield at least one "
                         "SourceEstimate")
    mean, scale = _standardize_inplace(Y, standardize)
    names = [label.name for label in labels]
    if mode == "vertices":
        groups = GroupSpec.from_sizes([len(r) for r in stream.group_rows], names=names)
    else:
        groups = GroupSpec.from_sizes(np.ones(len(labels), dtype=int), names=names)
    logger.info(f"Grouped {stream.n_stcs} source estimate(s) into {Y.shape[0]} samples x "
                f"{Y.shape[1]} features in {len(labels)} groups (mode={mode!r})")
    return GroupedSource(X=Y, groups=groups, mode=mode, vertices=stream.vertices,
                         subject=stream.subject, group_rows=stream.group_rows,
                         mean_=mean, scale_=scale)


def component_maps(model, grouped):
    """Paint every component's group weights on the cortex.

    Parameters
    ----------
    model : OIVAE
        A model fitted on ``grouped.X`` and ``grouped.groups``.
    grouped : GroupedSource
        The output of :func:`stc_to_groups` used for the fit.

    Returns
    -------
    maps : mne.SourceEstimate
        On the source space of the data; its j-th "time" sample (time ``j``,
        ``tstep=1``) is component j: every vertex of label g holds
        ``model.group_weights_[g, j]`` = ||W(g)[:, j]||, vertices outside every
        label hold 0. ``maps.plot(initial_time=j)`` or
        :func:`mne_oivae.viz.plot_component` shows it on the brain.

    Examples
    --------
    >>> maps = component_maps(model, grouped)  # doctest: +SKIP
    >>> brain = maps.plot("fsaverage", initial_time=2)  # doctest: +SKIP
    """
    _validate_type(grouped, GroupedSource, "grouped")
    weights = _group_weights(model)
    if model.groups_.names != grouped.groups.names:
        raise ValueError("model was not fitted on these groups: its groups are "
                         f"{model.groups_.names[:3]}... but grouped has "
                         f"{grouped.groups.names[:3]}...; fit with "
                         "OIVAE(groups=grouped.groups).fit(grouped.X)")
    return grouped.paint(weights)


def top_groups(model, names=None, k=3):
    """The k strongest groups of every component (Table 1 of the oi-VAE paper).

    Parameters
    ----------
    model : OIVAE
        A fitted model.
    names : list of str | None
        Group names; ``None`` uses ``model.groups_.names``.
    k : int
        Number of groups per component.

    Returns
    -------
    top : list of list of (str, float)
        ``top[j]`` lists up to k ``(name, weight)`` pairs of component j with
        non-zero weight, strongest first; empty for a pruned component.

    Examples
    --------
    >>> for j, regions in enumerate(top_groups(model)):  # doctest: +SKIP
    ...     print(j, [name for name, _ in regions])
    """
    weights = _group_weights(model)
    names = model.groups_.names if names is None else list(names)
    if len(names) != weights.shape[0]:
        raise ValueError(f"names has {len(names)} entries but the model has "
                         f"{weights.shape[0]} groups")
    _validate_type(k, "int", "k")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    top = []
    for column in weights.T:
        order = np.argsort(-column, kind="stable")[:k]
        top.append([(names[g], float(column[g])) for g in order if column[g] > 0])
    return top


def group_interactions(model):
    """Shared-component strength between every pair of groups.

    The bipartite component-to-group graph of oi-VAE folded into a
    group-by-group connectivity matrix, for circular connectivity plots.

    Parameters
    ----------
    model : OIVAE
        A fitted model.

    Returns
    -------
    strength : ndarray, shape (n_groups, n_groups)
        Symmetric, zero diagonal: ``strength[g, h] = sum_j w[g, j] * w[h, j]``
        where ``w`` is ``group_weights_`` with every component scaled to a
        maximum of 1, so each component counts equally whatever its scale.

    See Also
    --------
    mne_oivae.viz.plot_group_interactions

    Examples
    --------
    >>> strength = group_interactions(model)  # doctest: +SKIP
    """
    weights = _group_weights(model)
    peak = weights.max(axis=0)
    w = np.divide(weights, peak, out=np.zeros_like(weights), where=peak > 0)
    strength = w @ w.T
    np.fill_diagonal(strength, 0.0)
    return strength


def _group_weights(model):
    weights = getattr(model, "group_weights_", None)
    if weights is None:
        raise ValueError(f"model ({type(model).__name__}) is not fitted: it has no "
                         "group_weights_; call OIVAE(groups=grouped.groups).fit(grouped.X) "
                         "first")
    return np.asarray(weights, dtype=np.float64)


def _check_labels(labels):
    if isinstance(labels, (mne.Label, mne.BiHemiLabel)):
        labels = [labels]
    _validate_type(labels, (list, tuple), "labels", "list of Label or BiHemiLabel")
    if len(labels) == 0:
        raise ValueError("labels is empty; pass at least one Label")
    for i, label in enumerate(labels):
        _validate_type(label, (mne.Label, mne.BiHemiLabel), f"labels[{i}]",
                       "Label or BiHemiLabel")
    names = [label.name for label in labels]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"label names must be unique (they name the groups), "
                         f"duplicated: {dup}")
    subjects = {label.subject for label in labels} - {None}
    if len(subjects) > 1:
        raise ValueError(f"labels come from different subjects {sorted(subjects)}; "
                         "morph them to one subject with label.morph(...)")
    return list(labels)


def _check_stc(stc, i):
    if isinstance(stc, mne.SourceEstimate):
        return stc
    if isinstance(stc, _ANY_STC):
        hint = (" Reduce a vector estimate with stc.magnitude() or stc.normal(src)."
                if isinstance(stc, mne.VectorSourceEstimate) else "")
        raise TypeError(f"stcs[{i}] is a {type(stc).__name__}; only cortical surface "
                        "estimates (mne.SourceEstimate, one left and one right "
                        "hemisphere) are supported, not volume, mixed or vector "
                        f"source estimates.{hint}")
    raise TypeError(f"stcs[{i}] must be an mne.SourceEstimate, got "
                    f"{type(stc).__name__}")


class _CheckedStream:
    """Iterate source estimates, checking each against the first and the labels.

    The first estimate fixes the vertices and subject and resolves which rows
    every label covers.
    """

    def __init__(self, stcs, labels, mode):
        self._stcs = stcs
        self._labels = labels
        self._mode = mode
        self.n_stcs = 0
        self.vertices = self.subject = self.group_rows = self.feature_rows = None

    def __iter__(self):
        for i, stc in enumerate(self._stcs):
            _check_stc(stc, i)
            if self.vertices is None:
                self._setup(stc)
            elif not all(np.array_equal(a, b) for a, b in zip(self.vertices, stc.vertices)):
                raise ValueError(
                    f"stcs[{i}] has different vertices ({[len(v) for v in stc.vertices]} "
                    f"per hemisphere) than stcs[0] ({[len(v) for v in self.vertices]}); "
                    "all source estimates must share one source space")
            elif stc.subject is not None and stc.subject != self.subject:
                raise ValueError(f"stcs[{i}].subject is {stc.subject!r} but stcs[0] is on "
                                 f"{self.subject!r}; morph them to one subject")
            data = stc.data
            if not np.isfinite(data).all():
                row, col = np.argwhere(~np.isfinite(data))[0]
                raise ValueError(f"stcs[{i}] contains NaN or Inf (first at source row "
                                 f"{row}, time index {col}); clean the source "
                                 "estimates before grouping")
            self.n_stcs += 1
            yield stc

    def _setup(self, stc):
        label_subject = next((lb.subject for lb in self._labels if lb.subject), None)
        if None not in (stc.subject, label_subject) and stc.subject != label_subject:
            raise ValueError(
                f"the labels are on subject {label_subject!r} but the source estimates "
                f"on {stc.subject!r}; morph the labels (label.morph) or the estimates "
                "(mne.compute_source_morph) to one subject")
        self.vertices = [np.asarray(v).copy() for v in stc.vertices]
        self.subject = stc.subject or label_subject
        offsets = {"lh": 0, "rh": len(self.vertices[0])}
        vertno = {"lh": self.vertices[0], "rh": self.vertices[1]}
        self.group_rows = []
        for label in self._labels:
            parts = [label.lh, label.rh] if label.hemi == "both" else [label]
            rows = np.concatenate([
                offsets[p.hemi] + np.flatnonzero(np.isin(vertno[p.hemi], p.vertices))
                for p in parts])
            if rows.size == 0:
                raise ValueError(
                    f"label {label.name!r} contains none of the source vertices of the "
                    f"estimates ({len(self.vertices[0])} lh, {len(self.vertices[1])} "
                    "rh); drop it from labels or use a denser source space")
            self.group_rows.append(rows)
        if self._mode == "vertices":
            self.feature_rows = np.concatenate(self.group_rows)
            rows, counts = np.unique(self.feature_rows, return_counts=True)
            if (counts > 1).any():
                shared = rows[counts > 1][0]
                owners = [lb.name for lb, r in zip(self._labels, self.group_rows)
                          if shared in r]
                raise ValueError(
                    f'labels overlap ({(counts > 1).sum()} shared source vertices, e.g. '
                    f'in {owners}); mode="vertices" needs disjoint labels: remove the '
                    'overlap or use a label time-course mode such as "mean_flip"')


def _fill(blocks, known_total):
    """Stack (n_times, n_features) blocks into one float32 array without copies."""
    out = None
    n = 0
    for block in blocks:
        if out is None:
            rows = known_total if known_total is not None else 8 * block.shape[0]
            out = np.empty((rows, block.shape[1]), dtype=np.float32)
        if n + block.shape[0] > out.shape[0]:  # generator of unknown length
            out.resize((max(2 * out.shape[0], n + block.shape[0]), out.shape[1]),
                       refcheck=False)
        out[n:n + block.shape[0]] = block
        n += block.shape[0]
    if out is None:
        return np.empty((0, 0), dtype=np.float32)
    if n < out.shape[0]:
        out.resize((n, out.shape[1]), refcheck=False)
    return out


def _standardize_inplace(Y, how):
    n, p = Y.shape
    mean, scale = np.zeros(p), np.ones(p)
    if how is None or n == 0:
        return mean, scale
    starts = range(0, n, _CHUNK)
    for s in starts:
        mean += Y[s:s + _CHUNK].sum(axis=0, dtype=np.float64)
    mean /= n
    ssq = np.zeros(p)
    for s in starts:
        ssq += ((Y[s:s + _CHUNK] - mean) ** 2).sum(axis=0)
    if how == "features":
        std = np.sqrt(ssq / n)
    else:
        std = np.full(p, np.sqrt(ssq.sum() / (n * p)))
    scale = np.where(std > 0, std, 1.0)
    for s in starts:
        Y[s:s + _CHUNK] = (Y[s:s + _CHUNK] - mean) / scale
    return mean, scale

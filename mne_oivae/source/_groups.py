"""Source estimates and labels in: one observation per time point, one group per label."""

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from types import GeneratorType

import mne
import numpy as np
from mne.utils import _check_option, _validate_type, logger, verbose

from .._docs import fill_doc
from .._io import atomic_write, check_writable
from .._npy_rows import NpyRowWriter
from .._validation import check_float, check_int
from ..groups import GroupSpec
from ._envelope import amplitude_envelope, band_pass, low_pass
from ._leakage import symmetric_orthogonalize
from ._stream import ANY_STC, KINDS, CheckedStream, check_labels, check_stc, label_name

_LABEL_MODES = ("mean", "mean_flip", "pca_flip")
_STANDARDIZE = ("features", "global", None)
_CHUNK = 65536  # rows per block when standardising in place
_STC_CLASS = {kind: cls for cls, kind in KINDS.items()}


@dataclass(eq=False)
class GroupedSource:
    """Source data as one observation per time point, grouped by label.

    Returned by :func:`stc_to_groups`; pass ``groups`` to
    :class:`mne_oivae.OIVAE`, ``X`` to its ``fit`` and the object itself to
    :func:`component_maps`.

    Attributes
    ----------
    X : ndarray of float32, shape (n_samples, n_features)
        Standardised data: every time point of every source estimate is a row,
        in input order. ``inverse_transform(X)`` gives the source amplitudes.
        With ``stc_to_groups(..., fname=...)``, a read-only
        :class:`numpy.memmap` of that ``.npy`` file (``X.filename``), which
        ``OIVAE.fit`` reads from disk when given in a list of recordings.
    groups : GroupSpec
        One group per label, named by ``label.name`` (or the atlas region
        name). In the label modes every group is one feature (the label time
        course); in ``"vertices"`` mode group g holds the source points of
        label g (see :meth:`vertices_of`).
    mode : str
        The extraction mode.
    kind : ``"surface"`` | ``"volume"`` | ``"mixed"``
        The source space of the estimates: :class:`mne.SourceEstimate`,
        :class:`mne.VolSourceEstimate` or :class:`mne.MixedSourceEstimate`.
    vertices : list of ndarray
        Source point numbers of every source space, as ``stc.vertices`` (left
        and right hemisphere first for surface and mixed estimates).
    subject : str | None
        Subject of the source estimates (or of the labels if the estimates
        carry none).
    epochs : ndarray of int, shape (n_samples,)
        For every row of ``X``, the index of the source estimate (epoch) it
        came from: the ``epochs`` of :meth:`mne_oivae.OIVAECV.fit`, or the
        ``groups`` of a scikit-learn splitter such as
        :class:`~sklearn.model_selection.GroupKFold`, so that cross-validation
        keeps epochs whole.
    group_rows : list of ndarray of int
        For every group, the rows of ``np.concatenate(vertices)`` (the rows of
        ``stc.data``) that its label covers.
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
    kind: str
    vertices: list
    subject: str | None
    epochs: np.ndarray = field(repr=False)
    group_rows: list = field(repr=False)
    mean_: np.ndarray = field(repr=False)
    scale_: np.ndarray = field(repr=False)

    def __repr__(self):
        n, p = self.X.shape
        return (f"<GroupedSource | {n} samples, {p} features in {self.groups.n_groups} "
                f"groups, mode={self.mode!r}, {self.kind}, subject={self.subject!r}>")

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
        """Source points covered by one group's label.

        Parameters
        ----------
        group : int | str
            Group index or label name.

        Returns
        -------
        vertices : list of ndarray
            The label's source point numbers in every source space (as
            ``vertices``). In ``"vertices"`` mode the features
            ``groups.indices[g]`` are these points, in this order.
        """
        g = self.groups.names.index(group) if isinstance(group, str) else int(group)
        rows = self.group_rows[g]
        bounds = np.cumsum([0] + [len(v) for v in self.vertices])
        return [v[rows[(rows >= lo) & (rows < hi)] - lo]
                for v, lo, hi in zip(self.vertices, bounds[:-1], bounds[1:])]

    def paint(self, values, tmin=0.0, tstep=1.0):
        """A source estimate holding one value per group on its label's source points.

        Parameters
        ----------
        values : array-like, shape (n_groups,) or (n_groups, n_times)
            Value(s) of every group.
        tmin, tstep : float
            Time axis of the result.

        Returns
        -------
        stc : mne.SourceEstimate | mne.VolSourceEstimate | mne.MixedSourceEstimate
            Of the kind of the grouped estimates. Source points outside every
            label hold 0; a point in several labels (possible in the label
            modes) holds the largest value.
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
        return _STC_CLASS[self.kind](data, [v.copy() for v in self.vertices], tmin=tmin,
                                     tstep=tstep, subject=self.subject)


@verbose
@fill_doc
def stc_to_groups(stcs, labels, *, mode="mean_flip", src=None, atlas=None,
                  orthogonalize=False, envelope=None, lowpass=None, decim=1,
                  standardize="features",
                  fname=None, overwrite=False, verbose=None):
    """Turn source estimates and labels into grouped data for oi-VAE.

    Every time point of every source estimate is one observation, as in the
    MEG experiment of Ainsworth et al. (2018).

    Parameters
    ----------
    stcs : SourceEstimate | VolSourceEstimate | MixedSourceEstimate | list | generator
        Source estimates, all of one kind and with the same vertices, e.g. the
        output of ``mne.minimum_norm.apply_inverse_epochs(...,
        return_generator=True)`` or of an LCMV beamformer on a volume grid. A
        generator is consumed once and filled into one array that grows
        geometrically; a list is filled into an array allocated once.
    labels : list of (mne.Label | mne.BiHemiLabel | str)
        The regions, each becoming a group named after it. Cortical regions are
        :class:`mne.Label` objects (e.g. from
        :func:`mne_oivae.read_hcpmmp1_labels`), for surface and mixed
        estimates. Volume regions are names of ``atlas`` regions in
        FreeSurfer's lookup table (e.g. ``"Left-Hippocampus"``), for volume and
        mixed estimates: a source point belongs to the region of its nearest
        atlas voxel, as in :func:`mne.extract_label_time_course` with
        ``mri_resolution=False``. Every label needs at least one source point.
    mode : ``"mean_flip"`` | ``"mean"`` | ``"pca_flip"`` | ``"vertices"``
        ``"mean"``, ``"mean_flip"`` and ``"pca_flip"`` extract one time course
        per label with :func:`mne.extract_label_time_course` (one-dimensional
        groups); volume regions have no orientation and are always averaged
        (``"mean"``), and volume estimates only take ``"mean"`` and
        ``"vertices"``. ``"vertices"`` keeps every source point inside a label
        as a feature of that label's group; labels must not overlap.
    src : mne.SourceSpaces | None
        The source space of the estimates (``inv["src"]`` or ``fwd["src"]``).
        Required by ``"mean_flip"`` and ``"pca_flip"`` for the surface normals
        and by volume and mixed estimates; not used otherwise.
    atlas : path-like | nibabel image | None
        The segmentation that defines the volume regions, on the MRI grid the
        volume source space was set up on (``mri=`` of
        :func:`mne.setup_volume_source_space`), e.g. the subject's
        ``mri/aseg.mgz``. Required by volume estimates and by volume regions.
    orthogonalize : bool
        Leakage correction: symmetric orthogonalisation of the time courses of
        all groups together (:func:`mne_oivae.source.symmetric_orthogonalize`,
        amplitude-preserving; after the band-pass when ``envelope`` is given,
        as in Colclough et al. 2015). Removes zero-lag correlation between
        regions, which inverse solutions create between neighbours (and real
        zero-lag coupling with it). Needs at least as many time points as
        features, and features of full rank.
    envelope : tuple of float | None
        ``(low, high)`` in Hz: the features become the amplitude envelopes of
        the time courses in that band (band-pass with MNE's filter, Hilbert
        amplitude, within every estimate; see
        :func:`mne_oivae.source.amplitude_envelope`), e.g. ``(8, 12)`` for
        alpha. The band must lie below the estimates' Nyquist frequency.
    lowpass : float | None
        Edge in Hz of a low-pass of the time courses (MNE's zero-phase FIR,
        within every estimate; before the leakage correction): the features
        become the slow activity of the regions, e.g. ``lowpass=2`` for
        activity slower than the rhythms, whose carriers differ between
        regions and hide it. Not with ``envelope``.
    decim : int
        With ``envelope`` or ``lowpass``: keep every ``decim``-th sample
        (envelopes get an anti-alias low-pass first; ``lowpass`` may be at most
        0.4 times the down-sampled rate). The envelope of a band of width B
        varies slower than B, so e.g. ``decim=5`` at 100 Hz keeps a 4-Hz-wide
        band's envelope, or activity below 2 Hz.
    standardize : ``"features"`` | ``"global"`` | None
        How the raw features ``Y`` (amplitudes around 1e-9 Am) become ``X =
        (Y - mean_) / scale_``: ``"features"`` (default) z-scores every column
        (a constant column keeps scale 1); ``"global"`` centres every column and
        divides all by one pooled standard deviation, keeping the relative
        amplitudes of features; ``None`` keeps ``Y`` as is. Undo it with
        :meth:`GroupedSource.inverse_transform`.
    fname : path-like | None
        A ``.npy`` file to write the features to, one subject (recording) per
        file for a group study: the rows go to disk as they are extracted and
        are standardised there, so the data is never held in memory whole
        (except through leakage correction, low-pass and envelopes, which need
        all time points of the recording at once), and ``X`` is a read-only memory map
        of the file. ``OIVAE(...).fit([file_1, file_2, ...])`` then fits the
        subjects a minibatch at a time (see :mod:`mne_oivae.group`). ``None``
        (default): ``X`` is in memory.
    overwrite : bool
        Replace an existing ``fname``.
    %(verbose)s

    Returns
    -------
    grouped : GroupedSource
        ``grouped.groups`` goes to :class:`mne_oivae.OIVAE`, ``grouped.X``
        (float32, ``(n_samples, n_features)``) to its ``fit``, and
        ``grouped.epochs`` to :meth:`mne_oivae.OIVAECV.fit` (with ``decim``,
        one row per kept envelope sample).

    See Also
    --------
    component_maps, save_component_maps, mne.extract_label_time_course

    Examples
    --------
    Cortical regions of surface estimates:

    >>> labels = read_hcpmmp1_labels(subjects_dir, accept=True)  # doctest: +SKIP
    >>> grouped = stc_to_groups(stcs, labels, src=inv["src"])  # doctest: +SKIP
    >>> model = OIVAE(groups=grouped.groups, n_components=8)  # doctest: +SKIP
    >>> model.fit(grouped.X)  # doctest: +SKIP
    >>> maps = component_maps(model, grouped)  # doctest: +SKIP

    Leakage-corrected alpha-band amplitude envelopes at 20 Hz, from estimates
    at 100 Hz:

    >>> grouped = stc_to_groups(stcs, labels, src=inv["src"], orthogonalize=True,
    ...                         envelope=(8, 12), decim=5)  # doctest: +SKIP

    Cortical and subcortical regions of a mixed source space (cortex plus
    ``volume_label=["Left-Hippocampus", "Right-Hippocampus"]``):

    >>> grouped = stc_to_groups(stcs, labels + ["Left-Hippocampus", "Right-Hippocampus"],
    ...                         src=inv["src"], atlas=subjects_dir / "sample" / "mri" /
    ...                         "aseg.mgz")  # doctest: +SKIP
    """
    _check_option("mode", mode, _LABEL_MODES + ("vertices",))
    _check_option("standardize", standardize, _STANDARDIZE)
    _validate_type(orthogonalize, bool, "orthogonalize")
    decim = check_int(decim, "decim", minimum=1)
    if lowpass is not None:
        lowpass = check_float(lowpass, "lowpass", minimum=0, strict=True)
    if envelope is not None and lowpass is not None:
        raise ValueError("envelope and lowpass exclude each other: envelope=(low, high) "
                         "takes the amplitude of a rhythm, lowpass keeps the activity "
                         "below it; pass one of them")
    if decim > 1 and envelope is None and lowpass is None:
        raise ValueError(f"decim={decim} down-samples envelopes or low-passed time "
                         "courses: pass envelope=(low, high) or lowpass too, or decimate "
                         "the estimates yourself after a low-pass")
    labels = check_labels(labels)
    if fname is not None:
        _validate_type(fname, "path-like", "fname")
        fname = check_writable(Path(fname).expanduser(), overwrite)
        if fname.suffix != ".npy":
            raise ValueError(f"fname must end with .npy, got {fname.name!r}")
    known_total = None
    if isinstance(stcs, (list, tuple)):
        if len(stcs) == 0:
            raise ValueError("stcs is an empty list; pass at least one SourceEstimate")
        for i, stc in enumerate(stcs):
            check_stc(stc, i)
        known_total = sum(stc.shape[1] for stc in stcs)
    elif isinstance(stcs, ANY_STC):
        check_stc(stcs, 0)
        stcs = [stcs]
    elif not isinstance(stcs, GeneratorType) and not hasattr(stcs, "__next__"):
        raise TypeError("stcs must be a SourceEstimate, a list of them or a generator, "
                        f"got {type(stcs).__name__}")
    if src is not None:
        _validate_type(src, mne.SourceSpaces, "src")
    elif mode in ("mean_flip", "pca_flip"):
        raise ValueError(f'mode="{mode}" needs the source space for the sign flips: pass '
                         'src=inv["src"] (or fwd["src"]), or use mode="mean" or '
                         '"vertices", which need no src')

    stream = CheckedStream(stcs, labels, mode, src, atlas)
    if mode == "vertices":
        blocks = (stc.data[stream.feature_rows].T for stc in stream)
    else:
        blocks = _label_blocks(stream, labels, src, mode)
    filtered = orthogonalize or envelope is not None or lowpass is not None
    in_memory = fname is None or filtered
    with mne.utils.use_log_level(False):  # MNE logs one line per estimate
        if in_memory:
            Y = _fill(blocks, known_total)
        else:
            Y, mean, scale = _standardized_file(fname, blocks, standardize)
    if stream.n_stcs == 0:
        raise _no_estimates()
    epochs = np.repeat(np.arange(stream.n_stcs), stream.n_times)
    if filtered:
        Y, epochs = _filter_and_correct(Y, epochs, 1.0 / stream.last.tstep,
                                        orthogonalize, envelope, lowpass, decim)
    if fname is None:
        mean, scale = _standardize_inplace(Y, standardize)
    elif in_memory:
        Y, mean, scale = _standardized_file(fname, [Y], standardize)
    names = [label_name(label) for label in labels]
    if mode == "vertices":
        groups = GroupSpec.from_sizes([len(r) for r in stream.group_rows], names=names)
    else:
        groups = GroupSpec.from_sizes(np.ones(len(labels), dtype=int), names=names)
    logger.info(f"Grouped {stream.n_stcs} {stream.kind} source estimate(s) into "
                f"{Y.shape[0]} samples x {Y.shape[1]} features in {len(labels)} groups "
                f"(mode={mode!r})")
    return GroupedSource(X=Y, groups=groups, mode=mode, kind=stream.kind,
                         vertices=stream.vertices, subject=stream.subject,
                         epochs=epochs,
                         group_rows=stream.group_rows, mean_=mean, scale_=scale)


def _standardized_file(fname, blocks, standardize):
    """Write *blocks* to the .npy *fname* and standardise them there.

    Returns a read-only memory map of the file and the standardisation's mean
    and scale; nothing is written when there are no blocks.
    """
    with atomic_write(fname) as tmp:
        with open(tmp, "wb") as fid:
            writer = NpyRowWriter(fid)
            for block in blocks:
                writer.write(block)
            if writer.n_features is None:
                raise _no_estimates()
            writer.finish()
        Y = np.load(tmp, mmap_mode="r+")
        mean, scale = _standardize_inplace(Y, standardize)
        Y.flush()
        del Y
    return np.load(fname, mmap_mode="r"), mean, scale


def _no_estimates():
    return ValueError("stcs is an empty generator; it must yield at least one "
                      "SourceEstimate")


def _filter_and_correct(Y, epochs, sfreq, orthogonalize, band, lowpass, decim):
    """Low- or band-pass, leakage correction and envelope of the features, in that order."""
    Y = Y.astype(np.float64)
    if lowpass is not None:
        Y, epochs = low_pass(Y, sfreq, lowpass, decim=decim, epochs=epochs)
    if band is not None:
        Y = band_pass(Y, sfreq, band, epochs=epochs)
    if orthogonalize:
        Y = symmetric_orthogonalize(Y)
    if band is not None:
        Y, epochs = amplitude_envelope(Y, sfreq, decim=decim, epochs=epochs)
    return Y.astype(np.float32), epochs


def _label_blocks(stream, labels, src, mode):
    """(n_times, n_labels) label time courses of every estimate of the stream.

    Cortical labels go through :func:`mne.extract_label_time_course` (which
    appends one mean per volume source space of a mixed estimate: dropped);
    atlas regions are the mean of their source points, as MNE's volume labels.
    """
    stcs = iter(stream)
    first = next(stcs, None)  # our checks of kind, src and labels before MNE's
    if first is None:
        return
    stcs = (stc for stc in itertools.chain([first], stcs))  # MNE takes generators
    cortical = np.array([not isinstance(label, str) for label in labels])
    if cortical.any():
        tcs = mne.extract_label_time_course(
            stcs, [lb for lb, c in zip(labels, cortical) if c], src, mode=mode,
            return_generator=True, verbose=False)
    else:
        tcs = (None for _ in stcs)
    for tc in tcs:
        data = stream.last.data
        block = np.empty((data.shape[1], len(labels)), dtype=data.dtype)
        if tc is not None:
            block[:, cortical] = tc[:cortical.sum()].T
        for g in np.flatnonzero(~cortical):
            block[:, g] = data[stream.group_rows[g]].mean(axis=0)
        yield block


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

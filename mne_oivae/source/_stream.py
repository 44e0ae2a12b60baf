"""Checked iteration over source estimates, and the source rows every label covers."""

import mne
import numpy as np
from mne.utils import _validate_type

from ._volume import read_atlas, region_values, source_point_values

# estimate class -> kind of its source space
KINDS = {mne.SourceEstimate: "surface", mne.VolSourceEstimate: "volume",
         mne.MixedSourceEstimate: "mixed"}
_VECTOR = (mne.VectorSourceEstimate, mne.VolVectorSourceEstimate,
           mne.MixedVectorSourceEstimate)
ANY_STC = tuple(KINDS) + _VECTOR


def check_labels(labels):
    """Labels as a list: mne.Label / BiHemiLabel (cortex) or str (atlas region)."""
    if isinstance(labels, (mne.Label, mne.BiHemiLabel, str)):
        labels = [labels]
    _validate_type(labels, (list, tuple), "labels",
                   "list of Label, BiHemiLabel or atlas region names")
    if len(labels) == 0:
        raise ValueError("labels is empty; pass at least one Label or atlas region name")
    for i, label in enumerate(labels):
        _validate_type(label, (mne.Label, mne.BiHemiLabel, str), f"labels[{i}]",
                       "Label, BiHemiLabel or str (an atlas region name)")
    names = [label_name(label) for label in labels]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"label names must be unique (they name the groups), "
                         f"duplicated: {dup}")
    subjects = {label.subject for label in labels if not isinstance(label, str)} - {None}
    if len(subjects) > 1:
        raise ValueError(f"labels come from different subjects {sorted(subjects)}; "
                         "morph them to one subject with label.morph(...)")
    return list(labels)


def label_name(label):
    return label if isinstance(label, str) else label.name


def check_stc(stc, i):
    """The kind ("surface", "volume", "mixed") of a supported estimate."""
    kind = KINDS.get(type(stc))
    if kind is not None:
        return kind
    if isinstance(stc, _VECTOR):
        raise TypeError(f"stcs[{i}] is a {type(stc).__name__}; vector source estimates "
                        "are not supported. Reduce it to one value per source with "
                        "stc.magnitude() or stc.normal(src)")
    raise TypeError(f"stcs[{i}] must be an mne.SourceEstimate, VolSourceEstimate or "
                    f"MixedSourceEstimate, got {type(stc).__name__}")


class CheckedStream:
    """Iterate source estimates, checking each against the first and the labels.

    The first estimate fixes the kind, vertices and subject and resolves which
    rows every label covers. ``last`` is the estimate yielded last.
    """

    def __init__(self, stcs, labels, mode, src, atlas):
        self._stcs = stcs
        self._labels = labels
        self._mode = mode
        self._src = src
        self._atlas = atlas
        self.n_times = []  # time points of every estimate, in order
        self.kind = self.vertices = self.subject = self.group_rows = None
        self.feature_rows = self.last = None

    @property
    def n_stcs(self):
        """Number of estimates yielded so far."""
        return len(self.n_times)

    def __iter__(self):
        for i, stc in enumerate(self._stcs):
            kind = check_stc(stc, i)
            if self.vertices is None:
                self._setup(stc, kind)
            elif kind != self.kind:
                raise ValueError(f"stcs[{i}] is a {type(stc).__name__} but stcs[0] a "
                                 f"{self.kind} estimate; all must share one source space")
            elif len(stc.vertices) != len(self.vertices) or not all(
                    np.array_equal(a, b) for a, b in zip(self.vertices, stc.vertices)):
                raise ValueError(
                    f"stcs[{i}] has different vertices ({[len(v) for v in stc.vertices]} "
                    f"per source space) than stcs[0] ({[len(v) for v in self.vertices]}); "
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
            self.n_times.append(stc.shape[1])
            self.last = stc
            yield stc

    def _setup(self, stc, kind):
        self.kind = kind
        surface = [lb for lb in self._labels if not isinstance(lb, str)]
        regions = [lb for lb in self._labels if isinstance(lb, str)]
        _check_kind(kind, surface, regions, self._atlas, self._src, self._mode)
        label_subject = next((lb.subject for lb in surface if lb.subject), None)
        if None not in (stc.subject, label_subject) and stc.subject != label_subject:
            raise ValueError(
                f"the labels are on subject {label_subject!r} but the source estimates "
                f"on {stc.subject!r}; morph the labels (label.morph) or the estimates "
                "(mne.compute_source_morph) to one subject")
        self.vertices = [np.asarray(v).copy() for v in stc.vertices]
        self.subject = stc.subject or label_subject
        rows = {}
        if surface:
            rows.update(zip([lb.name for lb in surface],
                            _surface_rows(surface, self.vertices)))
        if regions:
            rows.update(zip(regions, _region_rows(regions, self.vertices, kind, self._src,
                                                  self._atlas)))
        self.group_rows = [rows[label_name(label)] for label in self._labels]
        if self._mode == "vertices":
            self.feature_rows = np.concatenate(self.group_rows)
            self._check_disjoint()

    def _check_disjoint(self):
        rows, counts = np.unique(self.feature_rows, return_counts=True)
        if (counts > 1).any():
            shared = rows[counts > 1][0]
            owners = [label_name(lb) for lb, r in zip(self._labels, self.group_rows)
                      if shared in r]
            raise ValueError(
                f'labels overlap ({(counts > 1).sum()} shared source vertices, e.g. '
                f'in {owners}); mode="vertices" needs disjoint labels: remove the '
                'overlap or use a label time-course mode such as "mean_flip"')


def _check_kind(kind, surface, regions, atlas, src, mode):
    """Labels, atlas, source space and mode fit the kind of the estimates."""
    if kind == "volume" and surface:
        raise ValueError(f"label {surface[0].name!r} is a cortical Label but the "
                         "estimates are volume estimates; group a volume estimate by atlas "
                         "regions (names such as 'Left-Hippocampus' with atlas=...)")
    if kind == "surface" and regions:
        raise ValueError(f"{regions[0]!r} is an atlas region name but the estimates are "
                         "cortical surface estimates (mne.SourceEstimate), which have no "
                         "volume; use mne.Label objects, or a volume or mixed source space")
    if kind != "surface":
        if atlas is None and (regions or kind == "volume"):
            raise ValueError(
                f"{kind} source estimates are grouped by the regions of an atlas volume: "
                'pass atlas="<subjects_dir>/<subject>/mri/aseg.mgz" (or a nibabel image) '
                "and region names as labels, e.g. ['Left-Hippocampus', 'Left-Amygdala']")
        if src is None:
            raise ValueError(f"{kind} source estimates need their source space to place "
                             'the atlas regions: pass src=inv["src"] (or fwd["src"])')
    if kind == "volume" and mode in ("mean_flip", "pca_flip"):
        raise ValueError(f'mode="{mode}" needs source orientations, which volume source '
                         'estimates do not have; use mode="mean" or "vertices"')
    if src is not None and src.kind == "discrete" and kind == "volume":
        raise ValueError("src is a discrete source space (a volume source space set up "
                         "without an MRI), which has no voxel grid to match an atlas "
                         "against; build it with mne.setup_volume_source_space(..., "
                         "mri=<subject>/mri/T1.mgz)")
    if src is not None and src.kind != kind:
        raise ValueError(f"src is a {src.kind} source space but the estimates are "
                         f"{kind} estimates; pass the source space of the estimates "
                         '(inv["src"] or fwd["src"])')


def _surface_rows(labels, vertices):
    offsets = {"lh": 0, "rh": len(vertices[0])}
    vertno = {"lh": vertices[0], "rh": vertices[1]}
    out = []
    for label in labels:
        parts = [label.lh, label.rh] if label.hemi == "both" else [label]
        rows = np.concatenate([
            offsets[p.hemi] + np.flatnonzero(np.isin(vertno[p.hemi], p.vertices))
            for p in parts])
        if rows.size == 0:
            raise ValueError(
                f"label {label.name!r} contains none of the source vertices of the "
                f"estimates ({len(vertices[0])} lh, {len(vertices[1])} rh); drop it "
                "from labels or use a denser source space")
        out.append(rows)
    return out


def _region_rows(names, vertices, kind, src, atlas):
    first = 2 if kind == "mixed" else 0
    vol_src = src[first:]
    for s, v in zip(vol_src, vertices[first:]):
        if not np.array_equal(s["vertno"], v):
            raise ValueError("the estimates' volume source points are not those of src; "
                             'pass the source space of the estimates (inv["src"] or '
                             'fwd["src"])')
    atlas = read_atlas(atlas)
    values = np.concatenate(source_point_values(atlas, vol_src))
    offset = sum(len(v) for v in vertices[:first])
    out = []
    for name, value in zip(names, region_values(names)):
        rows = offset + np.flatnonzero(values == value)
        if rows.size == 0:
            where = ("is not in the atlas" if not (atlas.values == value).any()
                     else f"holds none of the {len(values)} volume source points")
            raise ValueError(f"atlas region {name!r} (value {value}) {where} "
                             f"({atlas.name}); drop it from labels or use a denser "
                             "volume source space")
        out.append(rows)
    return out

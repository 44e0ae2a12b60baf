"""GroupSpec: which features of a data matrix belong to which named group."""

import numbers

import numpy as np
from mne.utils import _validate_type

from ._validation import check_int


class GroupSpec:
    """Assignment of the columns of a data matrix to named groups.

    The neutral container every adapter produces and :meth:`mne_oivae.OIVAE.fit`
    consumes: brain regions of a parcellation, joints of a skeleton, rows of an
    image. Every feature belongs to exactly one group and no group is empty.

    Parameters
    ----------
    indices : list of array-like of int
        ``indices[g]`` holds the column indices of group ``g``, in the order the
        group's generator outputs them.
    n_features : int | None
        Number of columns of the data matrix. ``None`` (default) infers it as
        ``max(index) + 1``. Every column must belong to a group.
    names : list of str | None
        One name per group. ``None`` gives ``"group_0"``, ``"group_1"``, ...

    Attributes
    ----------
    n_groups : int
        Number of groups.
    n_features : int
        Number of features (columns).
    sizes : ndarray of int, shape (n_groups,)
        Number of features per group.
    feature_group : ndarray of int, shape (n_features,)
        Group index of every feature.

    See Also
    --------
    GroupSpec.from_sizes, GroupSpec.from_labels

    Examples
    --------
    >>> from mne_oivae import GroupSpec
    >>> spec = GroupSpec.from_sizes([2, 3], names=["left", "right"])
    >>> spec.indices[1]
    array([2, 3, 4])
    >>> GroupSpec.from_labels(["a", "b", "a"]).names
    ['a', 'b']
    """

    def __init__(self, indices, n_features=None, names=None):
        _validate_type(indices, (list, tuple), "indices", "list of index arrays")
        if len(indices) == 0:
            raise ValueError("indices must hold at least one group, got an empty list")
        arrays = [_as_index_array(idx, g) for g, idx in enumerate(indices)]
        top = max(int(a.max()) for a in arrays) + 1
        if n_features is None:
            n_features = top
        n_features = check_int(n_features, "n_features", minimum=1)
        if top > n_features:
            raise ValueError(f"group indices go up to {top - 1}, but n_features is "
                             f"{n_features}: indices must be < n_features")
        owner = np.full(n_features, -1, dtype=np.int64)
        for g, idx in enumerate(arrays):
            taken = owner[idx] >= 0
            dup = np.unique(idx, return_counts=True)
            if taken.any() or (dup[1] > 1).any():
                f = int(idx[taken][0]) if taken.any() else int(dup[0][dup[1] > 1][0])
                other = owner[f] if owner[f] >= 0 else g
                raise ValueError(f"feature {f} is in more than one group (groups {other}"
                                 f" and {g}); each feature must belong to one group")
            owner[idx] = g
        missing = np.flatnonzero(owner < 0)
        if missing.size:
            raise ValueError(f"{missing.size} feature(s) belong to no group (first: "
                             f"{missing[0]}); every column of the data needs a group. "
                             "Drop the unused columns from the data instead")
        self.indices = arrays
        self.n_features = n_features
        self.feature_group = owner
        self.names = _check_names(names, len(arrays))

    @classmethod
    def from_sizes(cls, sizes, names=None):
        """Contiguous groups: the first ``sizes[0]`` columns, then the next ``sizes[1]``...

        Parameters
        ----------
        sizes : array-like of int
            Number of features per group, all >= 1.
        names : list of str | None
            Group names.

        Returns
        -------
        spec : GroupSpec
        """
        sizes = np.asarray(sizes)
        if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer):
            raise ValueError(f"sizes must be a non-empty 1D list of integers, got {sizes!r}")
        if (sizes < 1).any():
            g = int(np.flatnonzero(sizes < 1)[0])
            raise ValueError(f"group sizes must all be >= 1, but group {g} has size "
                             f"{sizes[g]}")
        edges = np.concatenate([[0], np.cumsum(sizes)])
        return cls([np.arange(a, b) for a, b in zip(edges[:-1], edges[1:])],
                   n_features=int(edges[-1]), names=names)

    @classmethod
    def from_labels(cls, labels, names=None):
        """Groups from one label per feature (e.g. a region name per vertex).

        Parameters
        ----------
        labels : array-like, shape (n_features,)
            Group label of every feature. Groups are ordered by first appearance.
        names : list of str | None
            Group names; ``None`` uses ``str(label)``.

        Returns
        -------
        spec : GroupSpec
        """
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.size == 0:
            raise ValueError("labels must be a non-empty 1D array with one label per "
                             f"feature, got shape {labels.shape}")
        uniq, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
        order = np.argsort(first)
        indices = [np.flatnonzero(inverse == u) for u in order]
        if names is None:
            names = [str(uniq[u]) for u in order]
        return cls(indices, n_features=labels.size, names=names)

    @property
    def n_groups(self):
        return len(self.indices)

    @property
    def sizes(self):
        return np.array([idx.size for idx in self.indices], dtype=np.int64)

    def __len__(self):
        return self.n_groups

    def __eq__(self, other):
        return (isinstance(other, GroupSpec) and self.names == other.names
                and self.n_features == other.n_features
                and len(self.indices) == len(other.indices)
                and all(np.array_equal(a, b) for a, b in zip(self.indices, other.indices)))

    def __repr__(self):
        sizes = self.sizes
        return (f"<GroupSpec | {self.n_groups} groups, {self.n_features} features, "
                f"sizes {sizes.min()}-{sizes.max()}>")

    def to_dict(self):
        """Plain-data form (lists and arrays) used by the model file format."""
        return {"indices": list(self.indices), "n_features": self.n_features,
                "names": list(self.names)}

    @classmethod
    def from_dict(cls, state):
        """Inverse of :meth:`to_dict`."""
        return cls(list(state["indices"]), n_features=int(state["n_features"]),
                   names=list(state["names"]))


def as_group_spec(groups, n_features):
    """Coerce *groups* to a :class:`GroupSpec` matching *n_features* columns.

    Accepts a :class:`GroupSpec`, a list of index arrays, or one label per feature.
    Group sizes are ambiguous with labels, so they go through
    :meth:`GroupSpec.from_sizes` explicitly.
    """
    if isinstance(groups, GroupSpec):
        spec = groups
    elif isinstance(groups, np.ndarray) and groups.ndim == 1:
        spec = _from_flat(groups, n_features)
    elif isinstance(groups, (list, tuple)) and len(groups) and all(
            isinstance(g, (numbers.Integral, str, np.integer, np.str_)) for g in groups):
        spec = _from_flat(np.asarray(groups), n_features)
    elif isinstance(groups, (list, tuple)):
        spec = GroupSpec(list(groups), n_features=n_features)
    else:
        raise TypeError("groups must be a GroupSpec, a list of index arrays or one "
                        f"label per feature, got {type(groups).__name__}")
    if spec.n_features != n_features:
        raise ValueError(f"groups describe {spec.n_features} features, but X has "
                         f"{n_features} columns")
    return spec


def _from_flat(labels, n_features):
    if labels.size != n_features:
        raise ValueError(
            f"a flat groups array is read as one label per feature, so it needs "
            f"{n_features} entries (the columns of X), got {labels.size}. For "
            "contiguous groups given by their sizes use GroupSpec.from_sizes(sizes)")
    return GroupSpec.from_labels(labels)


def _as_index_array(idx, g):
    arr = np.asarray(idx)
    if arr.ndim != 1:
        raise ValueError(f"group {g} must be a 1D array of feature indices, got shape "
                         f"{arr.shape}")
    if arr.size == 0:
        raise ValueError(f"group {g} is empty; every group needs at least one feature")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"group {g} must hold integer feature indices, got dtype "
                        f"{arr.dtype}")
    if (arr < 0).any():
        raise ValueError(f"group {g} holds a negative feature index ({arr.min()}); "
                         "indices must be >= 0")
    return arr.astype(np.int64)


def _check_names(names, n_groups):
    if names is None:
        return [f"group_{g}" for g in range(n_groups)]
    names = [str(n) for n in names]
    if len(names) != n_groups:
        raise ValueError(f"names has {len(names)} entries but there are {n_groups} "
                         "groups")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"group names must be unique, duplicated: {dup}")
    return names

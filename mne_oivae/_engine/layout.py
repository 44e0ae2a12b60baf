"""The padded bucket layout: how the groups' generators run as a few batched matmuls.

Groups are sorted by size into an internal order and split into *buckets* of
similar size; a bucket's output layer is one batched matmul over its groups,
each padded to the bucket's widest group, and the buckets' outputs side by side
make the *padded layout* of the features. The layout is a speed choice, made at
run time from the group sizes and the minibatch size (:func:`bucket_cost_for`)
and never saved: :class:`GroupLayout` converts the model's parameters between
it and their canonical form (:meth:`mne_oivae._model.OIVAEModule.canonical_state`).
"""

from typing import NamedTuple

import numpy as np
import torch


class Bucket(NamedTuple):
    """One batched output matmul: groups side by side, each ``width`` columns wide.

    ``groups`` is the span of the bucket's groups in the internal order (in the
    replica order of :meth:`PaddedLayout.replicated` for replicas) and
    ``columns`` the span of its columns in the padded layout; a group's
    features come first in its columns, padding after.
    """

    groups: slice
    columns: slice
    width: int

    @property
    def n_groups(self):
        return self.groups.stop - self.groups.start


class BucketSlot(NamedTuple):
    """Where a group's output weights are: row ``row`` of bucket ``bucket``."""

    bucket: int
    row: int


class ColumnRun(NamedTuple):
    """One block copy of :class:`Padder`: ``length`` consecutive columns.

    Data columns from ``source`` on go to padded columns from ``destination`` on.
    """

    destination: int
    source: int
    length: int


class PaddedLayout(NamedTuple):
    """The generators' buckets and where every feature sits in their outputs.

    ``position`` gives the padded column of every feature (internal order;
    ``None`` when it is its own index), ``data_columns`` the data column that
    fills every padded column (padding columns repeat a neighbour, see
    :func:`padded_columns`), and ``slot_groups`` the group in every slot of
    the buckets when they are not in the internal group order (replicas).
    """

    buckets: list
    n_groups: int
    n_features: int
    position: object  # ndarray of int | None
    data_columns: np.ndarray
    slot_groups: object = None  # ndarray of int | None

    @property
    def n_padded(self):
        return self.buckets[-1].columns.stop

    def replicated(self, n_replicas):
        """The layout of *n_replicas* models of this layout trained as one.

        Every bucket holds its groups replica by replica, so that it stays one
        batched matmul, and replica r's features are features ``r * n_features``
        onwards (a minibatch row holds the replicas' rows one after the other).
        """
        n = n_replicas
        column = np.empty((n, self.n_padded), dtype=np.int64)  # replica r's padded column c
        buckets = []
        for bucket in self.buckets:
            start, stop = bucket.columns.start, bucket.columns.stop
            column[:, start:stop] = (n * start + np.arange(n)[:, None] * (stop - start)
                                     + np.arange(stop - start))
            buckets.append(Bucket(slice(n * bucket.groups.start, n * bucket.groups.stop),
                                  slice(n * start, n * stop), bucket.width))
        position = np.arange(self.n_features) if self.position is None else self.position
        data_columns = np.empty(n * self.n_padded, dtype=np.int64)
        data_columns[column] = np.arange(n)[:, None] * self.n_features + self.data_columns
        slot_groups = np.concatenate([
            r * self.n_groups + np.arange(bucket.groups.start, bucket.groups.stop)
            for bucket in self.buckets for r in range(n)])
        return PaddedLayout(buckets, n * self.n_groups, n * self.n_features,
                            _unless_identity(column[:, position].ravel()), data_columns,
                            _unless_identity(slot_groups))


class GroupLayout:
    """Internal order of groups and features, and the size buckets of the output layer.

    Parameters
    ----------
    indices : list of ndarray
        Feature indices of every group (original order).
    bucket_cost : float | None
        Padding cells a bucket must save to be worth one more batched matmul;
        ``None`` uses ``max(8, n_features / 20)``. The estimator passes
        :func:`bucket_cost_for` of its minibatch size.

    Examples
    --------
    >>> from mne_oivae.engine import GroupLayout
    >>> layout = GroupLayout([[0, 1], [2, 3, 4], [5]])
    >>> layout.sizes.tolist(), layout.feature_order.tolist()  # widest group first
    ([3, 2, 1], [2, 3, 4, 0, 1, 5])
    """

    def __init__(self, indices, bucket_cost=None):
        sizes = np.array([len(i) for i in indices])
        n_features = int(sizes.sum())
        cost = max(8.0, n_features / 20) if bucket_cost is None else bucket_cost
        order = np.argsort(-sizes, kind="stable")
        self.group_order = order  # internal group position -> original group index
        self.feature_order = np.concatenate([indices[g] for g in order])
        self.is_identity_order = bool(np.array_equal(self.feature_order,
                                                     np.arange(n_features)))
        self.sizes = sizes[order]
        self.n_features = n_features
        bounds = _optimal_buckets(self.sizes, cost)
        self.buckets, column = [], 0
        for start, stop in zip(map(int, bounds[:-1]), map(int, bounds[1:])):
            width = int(self.sizes[start])
            self.buckets.append(Bucket(slice(start, stop),
                                       slice(column, column + (stop - start) * width), width))
            column += (stop - start) * width

    def padded(self):
        """The padded layout of the buckets."""
        position = self._padded_position()
        return PaddedLayout(self.buckets, len(self.sizes), self.n_features, position,
                            padded_columns(self.feature_order, position,
                                           self.buckets[-1].columns.stop))

    def _padded_position(self):
        """Padded column of every feature (internal order); ``None`` without padding."""
        if self.buckets[-1].columns.stop == self.n_features:
            return None
        return np.concatenate([bucket.columns.start
                               + np.flatnonzero(self.padding_mask(bucket))
                               for bucket in self.buckets])

    def unpadded(self):
        """All features as one bucket of one group: the layout of identity generators."""
        return PaddedLayout([Bucket(slice(0, 1), slice(0, self.n_features),
                                    self.n_features)],
                            1, self.n_features, None, np.asarray(self.feature_order))

    def padding_mask(self, bucket):
        """Which columns of a bucket's groups are features, (n_groups, width) bool."""
        return np.arange(bucket.width)[None, :] < self.sizes[bucket.groups, None]

    def slot(self, group):
        """The :class:`BucketSlot` of internal group *group*."""
        return next(BucketSlot(i, group - bucket.groups.start)
                    for i, bucket in enumerate(self.buckets)
                    if bucket.groups.start <= group < bucket.groups.stop)

    def loading_rows(self, p):
        """Row of W, reshaped to (G * p, K), that loads each feature (identity generators)."""
        return np.concatenate([g * p + np.arange(s) for g, s in enumerate(self.sizes)])

    def loadings_to_canonical(self, W):
        """W of identity generators, (G, p, K), as (K, F) loadings in the caller's order."""
        rows = torch.as_tensor(self.loading_rows(W.shape[-2]), device=W.device)
        return self.features_to_canonical(W.reshape(-1, W.shape[-1])[rows].T)

    def loadings_from_canonical(self, loadings, p):
        """Inverse of :meth:`loadings_to_canonical`: W, zero beyond each group's size."""
        W = loadings.new_zeros(len(self.sizes), p, len(loadings))
        rows = torch.as_tensor(self.loading_rows(p), device=loadings.device)
        W.view(-1, len(loadings)).index_copy_(0, rows,
                                              self.features_from_canonical(loadings).T)
        return W

    # -- canonical form: groups in their original order, features in the caller's
    def groups_to_canonical(self, t):
        """Per-group tensor (G, ...) from the internal group order to the original."""
        return t[np.argsort(self.group_order)]

    def groups_from_canonical(self, t):
        return t[self.group_order]

    def features_to_canonical(self, t):
        """Per-feature tensor (..., F) from the internal feature order to the caller's."""
        return t[..., np.argsort(self.feature_order)]

    def features_from_canonical(self, t):
        return t[..., self.feature_order]

    def unpad(self, weights):
        """Bucket output weights, each (groups, in, width), as one (in, F) matrix.

        Column f of the result is the output weight of feature f (caller's
        order) in its group's generator; padding columns are dropped.
        """
        padded = torch.cat([w.transpose(0, 1).reshape(w.shape[1], -1) for w in weights], 1)
        position = self._padded_position()
        return self.features_to_canonical(padded if position is None
                                          else padded[:, position])

    def pad(self, matrix):
        """Inverse of :meth:`unpad`: per-bucket weights, zero in padding columns."""
        internal = self.features_from_canonical(matrix)
        position = self._padded_position()
        padded = internal if position is None else internal.new_zeros(
            len(internal), self.buckets[-1].columns.stop).index_copy_(
            1, torch.as_tensor(position, device=internal.device), internal)
        return [padded[:, bucket.columns].reshape(len(padded), bucket.n_groups, bucket.width)
                .transpose(0, 1).contiguous() for bucket in self.buckets]


def _optimal_buckets(sorted_sizes, cost):
    """Split sizes (descending) into contiguous buckets minimising padded cells + cost."""
    n = len(sorted_sizes)
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    prev = np.zeros(n + 1, dtype=int)
    for stop in range(1, n + 1):
        for start in range(stop):
            total = best[start] + (stop - start) * sorted_sizes[start] + cost
            if total < best[stop]:
                best[stop], prev[stop] = total, start
    bounds = [n]
    while bounds[-1] > 0:
        bounds.append(prev[bounds[-1]])
    return bounds[::-1]


def bucket_cost_for(n_rows, out_width):
    """Padding cells that cost as much time as one more output bucket.

    A bucket adds about a dozen kernel launches (~0.1 ms on a CPU); a padded
    cell costs ``n_rows`` rows of arithmetic (``6 * out_width`` flops forward
    and backward) and of memory traffic (a few passes of 4 bytes), so small
    minibatches favour few wide buckets and large ones many tight buckets.

    Parameters
    ----------
    n_rows : int
        Rows of the output layer per step (minibatch size times MC samples).
    out_width : int
        Input width of the output layer (last hidden width, or p if affine).

    Returns
    -------
    cost : float
        Padding cells worth one more bucket.

    Examples
    --------
    >>> from mne_oivae.engine import GroupLayout, bucket_cost_for
    >>> layout = GroupLayout([[0, 1], [2, 3, 4]], bucket_cost_for(256, 16))
    """
    return max(1.0, 5e5 / (n_rows * (out_width + 28)))


def padded_columns(feature_order, position, n_padded):
    """Data column of every column of the padded layout.

    Real columns hold their feature; a padding column (its value is never
    used) continues the run of the column before it, so that contiguous
    groups stay one run of consecutive columns.
    """
    if position is None:
        return np.asarray(feature_order)
    columns = np.full(n_padded, -1)
    columns[position] = feature_order
    for j in np.flatnonzero(columns < 0):
        columns[j] = (columns[j - 1] + 1) % len(feature_order)
    return columns


class Padder:
    """Copies minibatch rows into the padded layout: ``out[:, c] = rows[:, columns[c]]``.

    Parameters
    ----------
    data_columns : ndarray of int
        The data column of every padded column (:attr:`PaddedLayout.data_columns`).
    device : torch.device
    """

    def __init__(self, data_columns, device):
        self.columns = torch.as_tensor(data_columns, device=device)
        runs = column_runs(data_columns)
        # Long runs of consecutive columns (groups stored contiguously, as
        # vertices of a label usually are) are copied as blocks: much faster
        # than an element-wise gather. Short ones are not worth a kernel each.
        self.runs = runs if len(runs) * 64 <= len(data_columns) else None

    def __call__(self, rows, out):
        """Write *rows*, (n, data columns), into *out*, (n, padded columns)."""
        if self.runs is None:
            torch.index_select(rows, 1, self.columns, out=out)
            return
        for run in self.runs:
            out[:, run.destination:run.destination + run.length] = \
                rows[:, run.source:run.source + run.length]


def column_runs(columns):
    """The :class:`ColumnRun` of every maximal run of consecutive columns."""
    breaks = np.flatnonzero(np.diff(columns) != 1) + 1
    starts = np.concatenate([[0], breaks])
    lengths = np.diff(np.concatenate([starts, [len(columns)]]))
    return [ColumnRun(int(a), int(columns[a]), int(n)) for a, n in zip(starts, lengths)]


def _unless_identity(index):
    """*index*, or ``None`` when it maps every position to itself."""
    return None if np.array_equal(index, np.arange(len(index))) else index

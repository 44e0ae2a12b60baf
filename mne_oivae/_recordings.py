"""Rows of many recordings (subjects, runs) read from disk on demand, never all at once.

:class:`Recordings` stands for the row-wise concatenation of a list of
2-D arrays without making it: in-memory arrays, ``.npy`` files (given as paths
or as :class:`numpy.memmap`), and HDF5 datasets (:class:`h5py.Dataset`).
It answers slices of rows (the streaming passes of :mod:`mne_oivae._units`)
and gathers of rows (the minibatches of
:class:`mne_oivae._engine.data.StreamedRows`) with exactly the values the
concatenated array would give.

``.npy`` files are read with ``os.pread`` rather than memory-mapped: pages of a
memory map count in the process's resident memory until the kernel needs
them back, so a mapped epoch over 100 subjects would look (and, for the
scheduler of a cluster, be) as large as the data. A file is opened at every
read, so one that is deleted, replaced or truncated during a fit is noticed at
the next minibatch that needs it (:class:`RecordingError`).
"""

import os
from pathlib import Path

import numpy as np
from mne.utils import _validate_type


class RecordingError(OSError):
    """A recording on disk is missing, truncated or changed while it is read."""


class _NpyFile:
    """Rows of a 2-D C-order ``.npy`` file read by offset."""

    def __init__(self, fname, offset=None, shape=None, dtype=None):
        self.fname = str(fname)
        if offset is None:  # the header, through a map of which no page is read
            mapped = np.load(self.fname, mmap_mode="r")
            if mapped.ndim == 2 and not mapped.flags.c_contiguous:
                raise ValueError(f"{self.fname} is stored in Fortran order; save it in C "
                                 "order (np.save(fname, np.ascontiguousarray(X)))")
            offset, shape, dtype = mapped.offset, mapped.shape, mapped.dtype
            del mapped
        self.offset, self.shape, self.dtype = int(offset), tuple(shape), np.dtype(dtype)
        self.row_bytes = self.dtype.itemsize * (self.shape[1] if len(self.shape) > 1 else 1)
        self.size = self.offset + self.row_bytes * self.shape[0]

    def _open(self):
        try:
            fd = os.open(self.fname, os.O_RDONLY)
        except FileNotFoundError:
            raise RecordingError(f"recording {self.fname} vanished during the fit") from None
        if os.fstat(fd).st_size < self.size:
            os.close(fd)
            raise RecordingError(f"recording {self.fname} was truncated during the fit "
                                 f"(it held {self.size} bytes)")
        return fd

    def rows(self, start, stop):
        return self.take(np.arange(start, stop))

    def take(self, idx):
        """Rows *idx* (sorted, unique), one read per run of consecutive rows."""
        out = np.empty((len(idx), self.shape[1]), self.dtype)
        breaks = np.flatnonzero(np.diff(idx) != 1) + 1
        fd = self._open()
        try:
            for run_idx, first in zip(np.split(np.arange(len(idx)), breaks),
                                      idx[np.r_[0, breaks]]):
                n = len(run_idx)
                buf = os.pread(fd, self.row_bytes * n, self.offset + self.row_bytes * first)
                if len(buf) < self.row_bytes * n:
                    raise RecordingError(f"recording {self.fname} was truncated during "
                                         "the fit")
                out[run_idx] = np.frombuffer(buf, self.dtype).reshape(n, -1)
        finally:
            os.close(fd)
        return out


class _InMemory:
    """An array-like already in memory (ndarray) or read by its own library (h5py)."""

    def __init__(self, array):
        self.array, self.shape, self.dtype = array, tuple(array.shape), np.dtype(array.dtype)

    def rows(self, start, stop):
        return np.asarray(self.array[start:stop])

    def take(self, idx):
        return np.asarray(self.array[idx])  # h5py needs sorted, unique indices: they are


def _open_recording(item, i):
    if isinstance(item, (str, Path)):
        fname = Path(item).expanduser()
        if fname.suffix != ".npy":
            raise ValueError(f"recording {i} is a path to {fname.name}; paths must name "
                             ".npy files (open HDF5 data with h5py and pass the dataset)")
        if not fname.is_file():
            raise FileNotFoundError(f"recording {i}: no such file {fname}")
        return _NpyFile(fname)
    if isinstance(item, np.memmap) and item.filename is not None and item.flags.c_contiguous:
        return _NpyFile(item.filename, item.offset, item.shape, item.dtype)
    if isinstance(item, np.ndarray) or type(item).__module__.startswith("h5py"):
        return _InMemory(item)
    raise TypeError(f"recording {i} must be an array, a numpy memmap, a path to a .npy "
                    f"file or an h5py dataset, got {type(item).__name__}")


class Recordings:
    """The row-wise concatenation of recordings, read on demand.

    Parameters
    ----------
    items : list
        One 2-D array-like per recording (subject): ndarray, numpy memmap,
        path to a ``.npy`` file, or h5py dataset, all with the same number of
        columns.

    Attributes
    ----------
    shape : tuple of int
        That of the concatenated array.
    offsets : ndarray of int, shape (n_recordings + 1,)
        First row of every recording, then the number of rows.
    dtype : numpy dtype
        float32 if every recording is float32, else float64.
    """

    def __init__(self, items):
        _validate_type(items, (list, tuple), "X", "list of recordings")
        if len(items) == 0:
            raise ValueError("X is an empty list: give at least one recording")
        self._parts = [_open_recording(item, i) for i, item in enumerate(items)]
        for i, part in enumerate(self._parts):
            if len(part.shape) != 2:
                raise ValueError(f"recording {i} must be 2-D (samples x features), got "
                                 f"shape {part.shape}")
            if part.dtype.kind not in "fiu":
                raise ValueError(f"recording {i} holds {part.dtype} values, not numbers")
        widths = [part.shape[1] for part in self._parts]
        if len(set(widths)) > 1:
            bad = next(i for i, w in enumerate(widths) if w != widths[0])
            raise ValueError(f"every recording must have the same features: recording 0 "
                             f"has {widths[0]} and recording {bad} has {widths[bad]}")
        self.offsets = np.cumsum([0] + [part.shape[0] for part in self._parts])
        self.shape = (int(self.offsets[-1]), widths[0])
        float32 = all(part.dtype == np.float32 for part in self._parts)
        self.dtype = np.dtype(np.float32 if float32 else np.float64)

    def __len__(self):
        return self.shape[0]

    @property
    def n_recordings(self):
        return len(self._parts)

    def recording_ids(self):
        """The recording (subject) of every row, shape (n_samples,)."""
        return np.repeat(np.arange(self.n_recordings), np.diff(self.offsets))

    def __getitem__(self, rows):
        """Rows of a slice with step 1 (``X[a:b]``) or of an int array, as one array."""
        if not isinstance(rows, slice):
            return self.take(rows)
        if rows.step not in (None, 1):
            raise TypeError("recordings are read by slices of step 1 or arrays of rows")
        start, stop, _ = rows.indices(self.shape[0])
        stop = max(start, stop)
        out = np.empty((stop - start, self.shape[1]), self.dtype)
        first = np.searchsorted(self.offsets, start, side="right") - 1
        for i in range(first, self.n_recordings):
            a, b = self.offsets[i], self.offsets[i + 1]
            if a >= stop:
                break
            lo, hi = max(start, a), min(stop, b)
            if hi > lo:
                out[lo - start:hi - start] = self._parts[i].rows(lo - a, hi - a)
        return out

    def take(self, idx):
        """Rows *idx* (int array; repeats allowed) in that order, as one array."""
        unique, inverse = np.unique(np.asarray(idx, dtype=np.int64), return_inverse=True)
        rows = np.empty((len(unique), self.shape[1]), self.dtype)
        owner = np.searchsorted(self.offsets, unique, side="right") - 1
        bounds = np.searchsorted(owner, np.arange(self.n_recordings + 1))
        for i in np.unique(owner):
            sel = slice(bounds[i], bounds[i + 1])
            rows[sel] = self._parts[i].take(unique[sel] - self.offsets[i])
        return rows[inverse]


def as_recordings(X):
    """*X* as :class:`Recordings` if it is a list of recordings or a path; else None.

    A list whose items are 2-D (arrays, memmaps, h5py datasets) or paths is a
    list of recordings; a list of rows is one array, and so is one memmap
    (scikit-learn's convention; ``[memmap]`` is read from disk).
    """
    if isinstance(X, (str, Path)):
        return Recordings([X])
    if isinstance(X, (list, tuple)) and len(X) and (
            isinstance(X[0], (str, Path)) or _ndim(X[0]) == 2):
        return Recordings(X)
    return None


def _ndim(item):
    shape = getattr(item, "shape", None)  # never np.ndim: it would read an h5py dataset
    return len(shape) if shape is not None else np.ndim(item)

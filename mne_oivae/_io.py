"""Safe, atomic HDF5 files for fitted models and training checkpoints.

A file holds numeric arrays as HDF5 datasets and all other state as one JSON
string, nothing else. h5py never unpickles, and ``json`` cannot run code, so
reading an untrusted file cannot execute anything. (MNE's ``h5io`` is not used:
its reader imports classes named in the file and calls ``eval`` on some
entries, which is as unsafe as pickle for a file from elsewhere.)
"""

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

FORMAT = "mne-oivae"
# 3: the module's canonical state (OIVAEModule.canonical_state), independent of the
# size buckets; 4: and the data's scale (OIVAE.scale_; a version-3 model was fitted
# on the data as given, scale 1); 5: and the likelihood (``likelihood``, ``dof``
# and a learned ``log_dof``; a version-3 or 4 model is Gaussian), so that an older
# mne-oivae refuses a Student-t model by its version instead of misreading it.
# 1 and 2 were development formats, never released
FORMAT_VERSION = 5
OLDEST_READ_VERSION = 3
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ALLOWED_KINDS = "fiub"


class FormatError(ValueError):
    """A file that is not a valid mne-oivae file."""


def check_fname(fname, overwrite):
    """Return *fname* as a Path ending in .h5, refusing to clobber unless *overwrite*."""
    if not isinstance(fname, (str, os.PathLike)):
        raise TypeError(f"fname must be a path-like, got {type(fname).__name__}")
    fname = Path(fname).expanduser()
    if fname.suffix not in (".h5", ".hdf5"):
        raise ValueError(f"fname must end with .h5 or .hdf5, got {fname.name!r}")
    return check_writable(fname, overwrite)


def check_writable(fname, overwrite):
    """Refuse a directory, an existing file (unless *overwrite*) or a missing folder."""
    if fname.is_dir():
        raise IsADirectoryError(f"{fname} is a directory, not a file name")
    if fname.exists() and not overwrite:
        raise FileExistsError(f"Destination file exists: {fname}. Please use option "
                              '"overwrite=True" to force overwriting.')
    if not fname.parent.is_dir():
        raise FileNotFoundError(f"the folder {fname.parent} does not exist")
    return fname


@contextmanager
def atomic_write(fname):
    """Yield a temporary path in *fname*'s folder; move it onto *fname* on success.

    An interrupted write never leaves a half-written file where a good one
    was. The temporary name keeps *fname*'s suffixes, so writers that pick the
    format from the name (nibabel) work.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{fname.name}.", suffix="".join(fname.suffixes),
                               dir=fname.parent)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode())  # mkstemp's 0600 would hide it from the lab
        os.replace(tmp, fname)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _new_file_mode():
    """The permissions ``open(fname, "w")`` would give a new file (0666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_state(fname, kind, meta, arrays, *, overwrite=False):
    """Write *meta* (JSON-able) and *arrays* (name -> ndarray) atomically."""
    fname = check_fname(fname, overwrite)
    with atomic_write(fname) as tmp, h5py.File(tmp, "w") as fid:
        fid.attrs["format"] = FORMAT
        fid.attrs["format_version"] = FORMAT_VERSION
        fid.attrs["kind"] = kind
        fid.attrs["meta"] = json.dumps(meta)
        group = fid.create_group("arrays")
        for name, value in arrays.items():
            value = np.asarray(value)
            if value.dtype.kind not in _ALLOWED_KINDS:
                raise TypeError(f"array {name!r} has unsupported dtype {value.dtype}")
            group.create_dataset(name, data=value)
    return fname


def read_state(fname, kind):
    """Read a file written by :func:`write_state`, checking format, kind and version.

    Returns
    -------
    meta : dict
    arrays : dict of ndarray
    """
    fname = Path(fname).expanduser()
    if not fname.is_file():
        raise FileNotFoundError(f"no such file: {fname}")
    with open(fname, "rb") as fh:
        head = fh.read(8)
    if head != _HDF5_MAGIC:
        what = _guess_format(head)
        raise FormatError(f"{fname} is not an mne-oivae model file (an HDF5 file){what}. "
                          "mne-oivae never loads pickled objects; re-save the model with "
                          "OIVAE.save")
    try:
        fid = h5py.File(fname, "r")
    except OSError as exc:
        raise FormatError(f"{fname} is not a readable HDF5 file: {exc}") from None
    with fid:
        if fid.attrs.get("format") != FORMAT:
            raise FormatError(f"{fname} is an HDF5 file but not an mne-oivae file "
                              f"(format attribute {fid.attrs.get('format')!r})")
        version = int(fid.attrs.get("format_version", -1))
        if version > FORMAT_VERSION:
            raise FormatError(f"{fname} has file format version {version}; this version "
                              f"of mne-oivae reads version {FORMAT_VERSION}. Upgrade "
                              "mne-oivae to read it")
        # a checkpoint resumes a fit in the current model units only
        if version < (OLDEST_READ_VERSION if kind == "model" else FORMAT_VERSION):
            raise FormatError(f"{fname} has file format version {version}, a development "
                              "format of mne-oivae that is no longer read; fit the model "
                              "again and save it")
        if fid.attrs.get("kind") != kind:
            raise FormatError(f"{fname} holds a {fid.attrs.get('kind')!r}, expected a "
                              f"{kind!r}")
        try:
            meta = json.loads(fid.attrs["meta"])
        except (KeyError, ValueError) as exc:
            raise FormatError(f"{fname} has no valid metadata: {exc}") from None
        arrays = {}

        def collect(name, node):
            if isinstance(node, h5py.Group):
                return
            if not isinstance(node, h5py.Dataset) or node.dtype.kind not in _ALLOWED_KINDS:
                raise FormatError(f"{fname}: entry {name!r} is not a numeric array "
                                  f"(dtype {getattr(node, 'dtype', type(node))}); "
                                  "refusing to load it")
            arrays[name] = node[()]

        fid.get("arrays", h5py.Group).visititems(collect) if "arrays" in fid else None
        extra = set(fid.keys()) - {"arrays"}
        if extra:
            raise FormatError(f"{fname} holds unexpected entries {sorted(extra)}")
    return meta, arrays


def arrays_under(arrays, prefix):
    """The arrays of :func:`read_state` named ``prefix/name``, by name."""
    start = len(prefix) + 1
    return {name[start:]: value for name, value in arrays.items()
            if name.startswith(prefix + "/")}


def _guess_format(head):
    if head[:1] == b"\x80":
        return " but a Python pickle"
    if head[:2] == b"PK":
        return " but a zip archive (e.g. torch.save output, which contains pickles)"
    return ""

"""A ``.npy`` file written a block of rows at a time, its length known only at the end.

The header is written first with room for any shape and rewritten with the
true one when the rows are complete, so a recording of unknown length (a
generator of source estimates) goes to disk without being held in memory or
copied. The file is written under a temporary name and moved into place when
finished (:func:`mne_oivae._io.atomic_write`).
"""

import os
import struct

import numpy as np

# magic (6) + version (2) + header length (2) + header: a multiple of 64 bytes
# (numpy's alignment) with room for a shape of any two 20-digit numbers
HEADER_BYTES = 192


def _header(n_rows, n_features, dtype):
    text = repr({"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                 "fortran_order": False, "shape": (n_rows, n_features)})
    body = text.ljust(HEADER_BYTES - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body.encode("latin1")


class NpyRowWriter:
    """Append 2-D blocks of rows to an open binary file as one C-order ``.npy`` array.

    Parameters
    ----------
    fid : file object
        Opened for writing in binary mode, empty.
    dtype : numpy dtype
        Of the array in the file (blocks are converted).
    """

    def __init__(self, fid, dtype=np.float32):
        self.fid, self.dtype = fid, np.dtype(dtype)
        self.n_rows, self.n_features = 0, None

    def write(self, block):
        block = np.ascontiguousarray(block, dtype=self.dtype)
        if self.n_features is None and block.ndim == 2:  # the first block sets the width
            self.n_features = block.shape[1]
            self.fid.write(_header(0, self.n_features, self.dtype))
        if block.ndim != 2 or block.shape[1] != self.n_features:
            raise ValueError(f"blocks must have {self.n_features} columns, got shape "
                             f"{block.shape}")
        self.fid.write(block.tobytes())
        self.n_rows += block.shape[0]

    def finish(self):
        """Write the final shape into the header; the file is a valid ``.npy``.

        Needs at least one block (the number of columns).
        """
        self.fid.flush()
        self.fid.seek(0)
        self.fid.write(_header(self.n_rows, self.n_features, self.dtype))
        self.fid.flush()
        os.fsync(self.fid.fileno())

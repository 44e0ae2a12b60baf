"""Where training rows come from: a tensor on the device, or a reader of host data.

The :class:`~mne_oivae._engine.Trainer` and
:meth:`~mne_oivae._engine.Network.init_from_data` ask a *row source* for rows
and nothing else. A row source has ``shape`` (n_samples, n_features),
``device`` and ``dtype``, and answers two questions:

- ``take(idx, out)``: write rows *idx* (a tensor of int on ``device``) into
  *out*, in that order (the minibatches);
- ``blocks(size, rows=None)``: yield the rows (all of them, or *rows*) in
  order, *size* at a time (the data statistics that start a fit).

:class:`TensorRows` answers from a tensor that holds all the data;
:class:`StreamedRows` from functions that read rows from anywhere else (files
of many subjects), a minibatch at a time. For the same values both give the
same tensors, so a streamed fit is bit-identical to the in-memory one.
"""

import numpy as np
import torch


class TensorRows:
    """Rows of one tensor, gathered by index on its device (never copied whole)."""

    def __init__(self, X):
        self.X = X
        self.shape, self.device, self.dtype = tuple(X.shape), X.device, X.dtype

    def take(self, idx, out):
        torch.index_select(self.X, 0, idx, out=out)

    def blocks(self, size, rows=None):
        if rows is None:
            yield from self.X.split(size)
            return
        for block in torch.as_tensor(rows, device=self.device).split(size):
            yield self.X.index_select(0, block)


class StreamedRows:
    """Rows read on demand by host functions and copied to the device.

    Parameters
    ----------
    shape : tuple of int
        (n_samples, n_features).
    read : callable
        ``read(start, stop)``: rows ``start:stop`` as a float32 ndarray, in
        the model's units.
    take : callable
        ``take(idx)``: rows *idx* (an int ndarray) in that order, likewise.
    device : torch.device
    """

    dtype = torch.float32

    def __init__(self, shape, read, take, device):
        self.shape, self._read, self._take = tuple(shape), read, take
        self.device = torch.device(device)

    def take(self, idx, out):
        out.copy_(torch.from_numpy(self._take(idx.cpu().numpy())))

    def blocks(self, size, rows=None):
        if rows is None:
            for start in range(0, self.shape[0], size):
                yield self._to_device(self._read(start, min(start + size, self.shape[0])))
            return
        rows = np.asarray(torch.as_tensor(rows).cpu())
        for start in range(0, len(rows), size):
            yield self._to_device(self._take(rows[start:start + size]))

    def _to_device(self, block):
        return torch.from_numpy(block).to(self.device)


def as_rows(X):
    """*X* as a row source: a tensor becomes :class:`TensorRows`; a source stays itself."""
    return TensorRows(X) if torch.is_tensor(X) else X

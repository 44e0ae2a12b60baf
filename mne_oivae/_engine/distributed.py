"""Data-parallel training over the ranks of a ``torch.distributed`` process group.

Every rank holds the same model, reads the same data source and draws the
same minibatch order and the same noise (the seeds are shared); rank r
computes the gradient of the minibatch's rows ``r * n / world`` to
``(r + 1) * n / world`` and the ranks average their
gradients with one all-reduce per step. Adam and the proximal group-lasso step
then run on every rank on identical parameters with identical gradients, so
the ranks stay identical and pruned columns are exact zeros everywhere, as
in a single process with the same (global) minibatch: the two differ only by
the order of float additions in the minibatch sums.

The process group is the caller's (``torchrun`` and
``torch.distributed.init_process_group``): gloo on CPUs, NCCL on GPUs.
"""

import os

import torch
import torch.distributed as dist


class DataParallel:
    """Shares minibatches among the ranks of the default process group."""

    def __init__(self):
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        if dist.get_backend() == "nccl":  # its collectives run on the current GPU
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))

    @classmethod
    def current(cls):
        """A :class:`DataParallel` over the default group if one of 2+ ranks is set up."""
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            return cls()
        return None

    def shard(self, n):
        """This rank's slice of a minibatch of *n* rows."""
        if n % self.world:
            raise ValueError(f"a minibatch of {n} rows cannot be shared equally by "
                             f"{self.world} processes: use a batch_size that is a "
                             f"multiple of {self.world}")
        size = n // self.world
        return slice(self.rank * size, (self.rank + 1) * size)

    def average_gradients(self, parameters):
        """Replace every gradient by its mean over the ranks (one all-reduce)."""
        grads = [p.grad for p in parameters if p.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        for grad, value in zip(grads, flat.split([g.numel() for g in grads])):
            grad.copy_(value.view_as(grad))

    def average(self, tensor):
        """*tensor* averaged over the ranks, in place."""
        dist.all_reduce(tensor)
        tensor /= self.world
        return tensor

    def check_same(self, **values):
        """Raise ValueError naming the first of *values* on which the ranks disagree."""
        gathered = [None] * self.world
        dist.all_gather_object(gathered, values)
        for key in values:
            seen = [g[key] for g in gathered]
            if any(v != seen[0] for v in seen[1:]):
                by_rank = ", ".join(f"rank {r}: {v!r}" for r, v in enumerate(seen))
                raise ValueError(f"the {self.world} processes of the data-parallel fit "
                                 f"disagree on {key} ({by_rank}); every rank must fit the "
                                 "same data with the same parameters, random_state "
                                 "included (an int, not None)")

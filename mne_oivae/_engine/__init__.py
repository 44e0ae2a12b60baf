"""The torch engine of oi-VAE: networks of R replicas, likelihoods, training. Free of MNE.

A single fit is a replica set of size one: :func:`train` fits any number of
models of one architecture together (restarts, lam paths, cross-validation
folds) and :class:`Trainer` runs, checkpoints and guards one set of replicas.
"""

from .kernels import ACTIVATIONS, is_expanded
from .layout import GroupLayout, bucket_cost_for
from .likelihoods import LIKELIHOODS
from .network import Architecture, Network, layout_for
from .training import (CHUNK_BYTES, DivergenceError, ProximalAdam, Task, TrainConfig,
                       Trainer, shrink_columns, shrink_components, train)

__all__ = ["ACTIVATIONS", "is_expanded", "GroupLayout", "bucket_cost_for", "LIKELIHOODS",
           "Architecture", "Network", "layout_for", "CHUNK_BYTES", "DivergenceError",
           "ProximalAdam", "Task", "TrainConfig", "Trainer", "shrink_columns",
           "shrink_components", "train"]

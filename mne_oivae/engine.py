"""The training engine's building blocks, for benchmarks and extensions.

:class:`~mne_oivae.OIVAE` is the way to fit models; this module names the parts
it is built from (the batched network of R replicas, the size-bucket layout of
the groups, the trainer and its proximal group-lasso step), so that code outside
the package (``benchmarks/speed.py`` times them against a per-group loop) uses
public names. They live in ``mne_oivae._engine``, free of MNE; their signatures
follow the engine and may change between versions.
"""

from ._engine import (Architecture, GroupLayout, Network, TrainConfig, Trainer,
                      bucket_cost_for, is_expanded, shrink_columns,
                      shrink_components)

__all__ = ["Architecture", "GroupLayout", "Network", "TrainConfig", "Trainer",
           "bucket_cost_for", "is_expanded", "shrink_columns",
           "shrink_components"]

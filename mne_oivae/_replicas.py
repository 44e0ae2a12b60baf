"""Many fits for the price of one: R independent models trained in one set of operations.

Region-level fits (44 features, minibatches of 256) cost what eager PyTorch
costs to dispatch a step's few dozen operations, not arithmetic. Restarts, a
path of lam values and cross-validation folds train models of one
architecture, so :func:`fit_replicas` stacks them: every parameter carries a
leading replica dimension, a bucket of the generators is one batched matmul
over its groups of all replicas, and Adam and the proximal step update all
replicas at once (both are element-wise, the proximal metric per column).
Each replica keeps its own seed (initialisation, minibatch order, noise), its
own lam and its own training rows, gathered by index from the one data
tensor: the same arithmetic as a sequential fit, up to float reassociation
in the batched matmuls (``tests/test_replicas.py`` states the tolerance).
"""

from typing import NamedTuple

import torch
from torch import nn

from ._fused import gaussian_log_likelihood
from ._model import OIVAEModule
from ._train import Trainer

# Scratch memory of one chunk of replicas (minibatch copies, residuals, bucket
# temporaries). Region-level problems fit hundreds of replicas in it;
# vertex-level ones (8,000 features) a handful, so their working set does not
# grow with the number of fits.
CHUNK_BYTES = 2**28


class ReplicaModule(OIVAEModule):
    """R :class:`OIVAEModule` of one architecture as one module, for training.

    Every parameter of the replicas is stacked along a new leading dimension.
    Buckets list their groups replica by replica (see
    :meth:`mne_oivae._layout.PaddedLayout.replicated`). Use :meth:`unstack`
    to write the trained parameters back into the original modules.

    Parameters
    ----------
    modules : list of OIVAEModule
        Initialised modules with the same layout and architecture.
    """

    def __init__(self, modules):
        nn.Module.__init__(self)
        first = modules[0]
        n_rep = len(modules)
        self.n_replicas = n_rep
        self.layout, self.activation, self.identity = (first.layout, first.activation,
                                                        first.identity)
        for owner in ("enc_weights", "enc_biases", "gen_weights", "gen_biases", "out_weights"):
            setattr(self, owner, nn.ParameterList())
        for name, _ in first.named_parameters():
            owner, _, leaf = name.rpartition(".")
            stacked = nn.Parameter(torch.stack([m.get_parameter(name).detach()
                                                for m in modules]))
            if owner:  # the lists' parameters come in order
                getattr(self, owner).append(stacked)
            else:
                setattr(self, leaf, stacked)
        # every replica's floor for each of its features, as the fused op takes it
        floors = torch.stack([m.noise_floor for m in modules])
        self.register_buffer("noise_floor", floors[:, None].expand(self.log_var.shape)
                             .reshape(-1).contiguous(), persistent=False)
        if self.identity:
            self.register_buffer("loading_rows", first.loading_rows, persistent=False)
        self._set_padded_layout(first.padded.replicated(n_rep), first._spec.activate_input,
                                n_rep)
        slot_groups = self.padded.slot_groups
        self.register_buffer("slot_groups", None if slot_groups is None
                             else torch.as_tensor(slot_groups), persistent=False)

    def _by_bucket(self, t):
        """(R, G, ...) per-group tensor as (R * G, ...) in the buckets' group order."""
        flat = t.reshape(-1, *t.shape[2:])
        return flat if self.slot_groups is None else flat.index_select(0, self.slot_groups)

    def encoder_head(self, x):
        """Encoder output of every replica, (R, n, 2K), from *x*, (R, n, n_features)."""
        h = x
        for weight, bias in zip(self.enc_weights, self.enc_biases):
            h = self.activation.function(torch.baddbmm(bias[:, None], h, weight.transpose(1, 2)))
        return torch.baddbmm(self.enc_out_bias[:, None], h, self.enc_out_weight.transpose(1, 2))

    def _generator_inputs(self, z):
        n_rep, m, k = z.shape
        if self.identity:
            loadings = self.W.view(n_rep, -1, k).index_select(1, self.loading_rows)
            return z.transpose(1, 2), [loadings.transpose(1, 2)]
        u = torch.bmm(self.W.view(n_rep, -1, k), z.transpose(1, 2))
        return (self._by_bucket(u.view(*self.W.shape[:3], m)),
                [w.view(-1, *w.shape[2:]) for w in self.out_weights])

    def expected_log_likelihood(self, x_padded, z):
        """Mean over rows of log p(x | z) of every replica, (R,).

        *x_padded* is (n, n_padded) in the replicated padded layout (row i holds
        every replica's i-th minibatch row) and is overwritten; *z* is (R, n, K).
        """
        u, weights = self._generator_inputs(z)
        return gaussian_log_likelihood(
            x_padded, u, self.feature_bias.view(-1), self.log_var.view(-1), self.noise_floor,
            self.padded_position, self._spec, [self._by_bucket(w) for w in self.gen_weights],
            [self._by_bucket(b) for b in self.gen_biases], weights)

    @torch.no_grad()
    def unstack(self, modules):
        """Copy every replica's parameters into its module of *modules*."""
        for r, module in enumerate(modules):
            for name, param in module.named_parameters():
                param.copy_(self.get_parameter(name)[r])


class ReplicaTrainer(Trainer):
    """Runs the optimisation of R replicas together; each as its own :class:`Trainer` would.

    Parameters
    ----------
    module : ReplicaModule
    X : torch.Tensor, (n_samples, n_features)
        The data of all replicas, never copied.
    config : TrainConfig
        Shared settings; ``config.lam`` is ignored in favour of *lams*.
    generators : list of torch.Generator
        Per replica: source of minibatch orders and noise.
    lams : sequence of float
        Per replica: group-lasso strength.
    rows : list of Tensor of int | None
        Per replica: the rows of X it trains on (``None``: all). Every replica
        must have the same number of steps per epoch (see :func:`fit_replicas`).
    """

    def __init__(self, module, X, config, generators, lams, rows=None):
        self.replica_dims = (module.n_replicas,)
        self.generators, self._lams = generators, [float(lam) for lam in lams]
        self.rows = rows
        super().__init__(module, X, config, None)
        sizes = [X.shape[0]] if rows is None else [len(r) for r in rows]
        steps = {max(1, size // config.batch_size) for size in sizes}
        if len(steps) > 1:
            raise ValueError(f"replicas with {sorted(steps)} steps per epoch cannot train "
                             "together; group them with fit_replicas")
        self.steps_per_epoch = steps.pop()
        self._lam_tensor = torch.tensor(self._lams, dtype=torch.float64,
                                        device=X.device).view(-1, 1, 1, 1)
        self._eps = None

    @property
    def lams(self):
        return self._lams

    def _encoder_input(self, xb):
        return xb.view(-1, self.module.n_replicas, xb.shape[1]).transpose(0, 1)

    def _noise(self, head):
        n_rep, n, k2 = head.shape
        shape = (n_rep, self.config.mc_samples, n, k2 // 2)
        if self._eps is None or self._eps.shape != shape:
            self._eps = head.new_empty(shape)
        for eps, generator in zip(self._eps, self.generators):
            torch.randn(shape[1:], generator=generator, out=eps)
        return self._eps

    def _epoch_order(self):
        """(steps_per_epoch, batch_size * R): step s's rows, R per minibatch row."""
        size = self.steps_per_epoch * self.config.batch_size
        orders = []
        for r, generator in enumerate(self.generators):
            n_rows = self.X.shape[0] if self.rows is None else len(self.rows[r])
            perm = torch.randperm(n_rows, generator=generator, device=self.X.device)[:size]
            orders.append(perm if self.rows is None else self.rows[r][perm])
        return torch.stack(orders, 1).view(self.steps_per_epoch, -1)

    def current_lam(self):
        ramp = self.config.lam_warmup
        dtype = self.module.W.dtype
        if ramp <= 0 or self.iteration >= ramp:
            return self._lam_tensor.to(dtype)
        if self.iteration == 0:
            return 0.0
        # the sequential fit's float64 arithmetic, rounded to W's precision once
        return (self._lam_tensor * self.iteration / ramp).to(dtype)


class ReplicaTask(NamedTuple):
    """One fit of :func:`fit_replicas`."""

    module: OIVAEModule  # initialised; trained in place
    seed: int  # of the minibatch order and the noise
    lam: float
    rows: object = None  # Tensor of int (training rows of X) or None (all rows)


def fit_replicas(tasks, X, config, *, progress=None, chunk_bytes=CHUNK_BYTES):
    """Train every task's module as a sequential :class:`Trainer` would, many at a time.

    Tasks with the same number of steps per epoch train together, in chunks
    whose scratch memory stays within *chunk_bytes*. The data is never
    copied: each replica gathers its minibatches by index.

    Parameters
    ----------
    tasks : list of ReplicaTask
        The modules must share one layout and architecture.
    X : torch.Tensor, (n_samples, n_features)
    config : TrainConfig
        Settings shared by all tasks (``config.lam`` is not used).
    progress : callable | None
        Called after every epoch with the number of iterations done so far,
        summed over the replicas.
    chunk_bytes : int
        Scratch memory allowed to one chunk.

    Returns
    -------
    histories : list of dict
        Per task, as :meth:`Trainer.run` records it.

    Raises
    ------
    DivergenceError
        When a replica diverges; its chunk is left at its last finite epoch.
    """
    n_padded = tasks[0].module.n_padded
    per_replica = 4 * config.batch_size * (X.shape[1] + 3 * config.mc_samples * n_padded)
    chunk = max(1, chunk_bytes // per_replica)
    steps = [max(1, (X.shape[0] if t.rows is None else len(t.rows)) // config.batch_size)
             for t in tasks]
    histories = [{} for _ in tasks]
    done = 0
    for n_steps in dict.fromkeys(steps):
        same = [i for i, s in enumerate(steps) if s == n_steps]
        for start in range(0, len(same), chunk):
            members = same[start:start + chunk]

            def on_epoch(trainer, before=done, width=len(members)):
                if progress is not None:
                    progress(before + trainer.iteration * width)

            _fit_chunk([tasks[i] for i in members], X, config,
                       [histories[i] for i in members], on_epoch)
            done += config.n_iter * len(members)
    return histories


def _fit_chunk(tasks, X, config, histories, on_epoch):
    modules = [t.module for t in tasks]
    replica = ReplicaModule(modules).to(X.device)
    rows = None if all(t.rows is None for t in tasks) else [
        torch.arange(X.shape[0], device=X.device) if t.rows is None
        else torch.as_tensor(t.rows, device=X.device) for t in tasks]
    generators = [torch.Generator(device=X.device).manual_seed(int(t.seed)) for t in tasks]
    trainer = ReplicaTrainer(replica, X, config, generators, [t.lam for t in tasks], rows)
    try:
        trainer.run(histories, on_epoch=on_epoch)
    finally:
        replica.unstack(modules)

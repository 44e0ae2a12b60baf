"""Training: collapsed ELBO, Adam on the networks, proximal Adam step on W; R fits at once.

Objective, in per-observation units (the reference code's convention)::

    J = 1/N sum_n ( E_q[log p(x_n | z)] - KL(q(z | x_n) || p(z)) )
        + log p(theta) - lam * sum_{g, j} ||W(g)[:, j]||_2
        - lam * component_lasso * sum_j ||W[:, :, j]||_2

i.e. 1/N times the whole-data collapsed ELBO in which both priors, the
N(0, prior_scale^2) prior on the generator parameters theta and the group
lasso on W, count once per observation (raised to the power N). Their
strength relative to the likelihood therefore does not fade as the data set
grows: the same ``lam`` prunes the same way on 2,000 or 40,000 observations.
The second norm (``component_lasso`` > 0) runs over all the groups of a
component: with the group lasso a hierarchical group lasso, whose proximal
operator is the columns' soft-threshold followed by the components'.
Both priors are needed together: W(g) z enters f_g through a linear layer,
so without a prior that holds theta to unit scale the group lasso could be
dodged by shrinking W and growing f_g's first-layer weights.

The gradient of log p(theta) is Adam's (coupled) weight decay
``1 / prior_scale**2`` on the generator parameters, so the prior costs no
autograd work per step; its value is recorded at the end of every epoch.

A single fit is one replica. Restarts, a path of lam values and
cross-validation folds train models of one architecture, so :func:`train`
stacks them into one :class:`~mne_oivae._engine.network.Network`: Adam and the
proximal step update all replicas at once (both are element-wise, the proximal
metric per column). Each replica keeps its own seed (initialisation, minibatch
order, noise), its own lam and its own training rows, gathered by index from
the one data tensor: the same arithmetic as a fit of its own, up to float
reassociation in the batched matmuls (``tests/test_training.py`` states the
tolerance; one replica is bit-identical).
"""

from dataclasses import dataclass
from typing import NamedTuple

import torch

from .data import as_rows
from .kernels import reparameterise
from .layout import Padder
from .network import Network

TERMS = ("reconstruction", "kl", "log_prior_theta", "group_lasso")


# Scratch memory of one chunk of replicas (minibatch copies, residuals, bucket
# temporaries). Region-level problems fit hundreds of replicas in it;
# vertex-level ones (8,000 features) a handful, so their working set does not
# grow with the number of fits.
CHUNK_BYTES = 2**28


class DivergenceError(RuntimeError):
    """A loss term or a parameter became non-finite during :meth:`OIVAE.fit`.

    Attributes
    ----------
    fits : list of (Network, dict) | None
        The fits at their last finite epoch (one replica each) and their
        histories, when training stopped there.
    """

    fits = None


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation's settings, shared by all replicas of a run.

    Parameters
    ----------
    n_iter, batch_size : int
        As the parameters of the same names of :class:`~mne_oivae.OIVAE`.
    lr, lam, prior_scale : float
        As those of :class:`~mne_oivae.OIVAE`.
    mc_samples, warmup, lam_warmup, kl_warmup, subsample_warmup, subsample_size : int
        As those of :class:`~mne_oivae.OIVAE` (``lam_warmup`` in iterations,
        not ``"auto"``).
    component_lasso : float
        As that of :class:`~mne_oivae.OIVAE`.

    Examples
    --------
    >>> from mne_oivae.engine import TrainConfig
    >>> config = TrainConfig(n_iter=1000, batch_size=256, lr=1e-2, lam=0.1,
    ...                      prior_scale=1.0, mc_samples=1, warmup=0, lam_warmup=500)
    """

    n_iter: int
    batch_size: int
    lr: float
    lam: float
    prior_scale: float
    mc_samples: int
    warmup: int
    lam_warmup: int
    kl_warmup: int = 0
    subsample_warmup: int = 0
    subsample_size: int = 2000
    component_lasso: float = 0.0


class ProximalAdam:
    """Adam with a metric that is constant over each column W(g)[:, j].

    A column-wise scalar metric keeps the group soft-threshold exact, so every
    step is a true variable-metric proximal gradient step: its fixed points are
    the stationary points of J, and pruned columns are exactly zero. The metric
    is Adam's RMS gradient averaged over the column, so the step is invariant to
    the scale of the data (the reference code's plain SGD step of 1e-4 is not).

    *W* is (G, p, K); for R replicas trained together (*n_replicas*), their
    groups one replica after the other. With *component_lasso* > 0 every step
    also soft-thresholds each replica's components over all their groups, at
    *component_lasso* times the mean of the columns' thresholds: exact for the
    hierarchical group lasso where the metric is one scalar, an approximation
    where the groups' metrics differ.
    """

    def __init__(self, W, lr, betas=(0.9, 0.999), eps=1e-8, *, n_replicas=1,
                 component_lasso=0.0):
        self.W, self.lr, self.betas, self.eps = W, lr, betas, eps
        self.n_replicas, self.component_lasso = n_replicas, component_lasso
        self.m = torch.zeros_like(W)
        self.v = torch.zeros_like(W)
        self.t = 0

    @torch.no_grad()
    def step(self, lam):
        """One step; *lam* is a float or a tensor of one value per group of W, (G, 1, 1)."""
        b1, b2 = self.betas
        self.t += 1
        grad = self.W.grad
        self.m.lerp_(grad, 1 - b1)
        self.v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        rms = (self.v.mean(dim=-2, keepdim=True) / (1 - b2**self.t)).sqrt_().add_(self.eps)
        step = self.lr / rms
        self.W.addcmul_(step, self.m, value=-1 / (1 - b1**self.t))
        if torch.is_tensor(lam) or lam > 0:
            threshold = step * lam
            shrink_columns(self.W, threshold)
            if self.component_lasso > 0:
                shape = (self.n_replicas, -1, *self.W.shape[-2:])
                mean = threshold.view(*shape[:2], 1, shape[-1]).mean(1, keepdim=True)
                shrink_components(self.W.view(shape), self.component_lasso * mean)

    def state_dict(self):
        return {"m": self.m, "v": self.v, "t": self.t}

    def load_state_dict(self, state):
        self.m.copy_(torch.as_tensor(state["m"]))
        self.v.copy_(torch.as_tensor(state["v"]))
        self.t = int(state["t"])


@torch.no_grad()
def shrink_columns(W, threshold):
    """Group soft-threshold of every column W[..., g, :, j], in place.

    ``W[g, :, j] <- W[g, :, j] / ||.|| * max(0, ||.|| - threshold[g, 0, j])``:
    the proximal operator of ``threshold * ||.||_2``. Columns whose norm is
    at most the threshold become exact zeros; a zero threshold leaves W exactly
    as it is.

    Parameters
    ----------
    W : torch.Tensor, shape (..., n_groups, p, K)
        The latent-to-group matrices, changed in place.
    threshold : torch.Tensor | float
        Step size times lam, broadcast against ``(n_groups, 1, K)``.

    Examples
    --------
    >>> import torch
    >>> from mne_oivae.engine import shrink_columns
    >>> W = torch.tensor([[[3.0, 0.1], [4.0, 0.1]]])  # 1 group, p = 2, K = 2
    >>> shrink_columns(W, 1.0)
    >>> W  # column 0: norm 5 -> 4; column 1: norm 0.14 -> 0
    tensor([[[2.4000, 0.0000],
             [3.2000, 0.0000]]])
    """
    _soft_threshold(W, threshold, dim=-2)


@torch.no_grad()
def shrink_components(W, threshold):
    """Soft-threshold of every component W[..., :, :, j] over all its groups, in place.

    The proximal operator of ``threshold * ||W[:, :, j]||_2`` (the norm of the
    component's weights in every group together): a component whose norm is at
    most the threshold becomes exactly zero in every group.

    Parameters
    ----------
    W : torch.Tensor, shape (..., n_groups, p, K)
        The latent-to-group matrices of one model (or of several, stacked in
        front), changed in place.
    threshold : torch.Tensor | float
        Step size times the penalty's weight, broadcast against ``(..., 1, 1, K)``.

    Examples
    --------
    >>> import torch
    >>> from mne_oivae.engine import shrink_components
    >>> W = torch.tensor([[[3.0, 0.1]], [[4.0, 0.1]]])  # 2 groups, p = 1, K = 2
    >>> shrink_components(W, 1.0)
    >>> W  # component 0: norm 5 -> 4; component 1: norm 0.14 -> 0
    tensor([[[2.4000, 0.0000]],
    <BLANKLINE>
            [[3.2000, 0.0000]]])
    """
    _soft_threshold(W, threshold, dim=(-3, -2))


def _soft_threshold(W, threshold, dim):
    # not linalg.vector_norm: ten times slower on small CPU tensors
    norms = W.square().sum(dim=dim, keepdim=True).sqrt_()
    factor = torch.clamp(1 - threshold / torch.clamp(norms, min=torch.finfo(W.dtype).tiny),
                         min=0)
    W.mul_(factor)


class Trainer:
    """Runs the optimisation of the R replicas of a :class:`Network` on one data tensor.

    Parameters
    ----------
    network : Network
    X : torch.Tensor, (n_samples, n_features) | row source
        Data in the caller's feature order, on the network's device, or a row
        source (:mod:`~mne_oivae._engine.data`) that reads it from elsewhere.
        Minibatches are gathered from it by index; it is never copied whole.
    config : TrainConfig
        Settings shared by all replicas (``config.lam`` is ignored in favour of *lams*).
    seeds : sequence of int
        Per replica: the seed of its minibatch orders and noise.
    lams : sequence of float
        Per replica: group-lasso strength.
    rows : list of Tensor of int | None
        Per replica: the rows of X it trains on (``None``: all). Every replica
        must have the same number of steps per epoch (see :func:`train`).
    parallel : DataParallel | None
        Ranks that share every minibatch and average their gradients
        (:mod:`~mne_oivae._engine.distributed`); ``None``: this process alone.

    Examples
    --------
    >>> import torch
    >>> from mne_oivae.engine import (Architecture, GroupLayout, Network, TrainConfig,
    ...                               Trainer)
    >>> layout = GroupLayout([[0, 1], [2, 3, 4]])
    >>> network = Network(layout, Architecture(3, 1, (), (), "tanh"), seeds=[0])
    >>> config = TrainConfig(n_iter=10, batch_size=16, lr=1e-2, lam=0.1, prior_scale=1.0,
    ...                      mc_samples=1, warmup=0, lam_warmup=0)
    >>> trainer = Trainer(network, torch.randn(64, 5), config, seeds=[0], lams=[0.1])
    >>> record = trainer.epoch(4)  # four steps: (4, R, 2) of reconstruction and KL
    """

    def __init__(self, network, X, config, seeds, lams, rows=None, parallel=None):
        self.X = X = as_rows(X)
        self.network, self.config, self.parallel = network, config, parallel
        self.n_replicas = network.n_replicas
        self.seeds = [int(seed) for seed in seeds]
        self.generators = [torch.Generator(device=X.device).manual_seed(seed)
                           for seed in self.seeds]
        self.lams = [float(lam) for lam in lams]
        self.rows = rows
        sizes = [X.shape[0]] if rows is None else [len(r) for r in rows]
        steps = {max(1, size // config.batch_size) for size in sizes}
        if len(steps) > 1:
            raise ValueError(f"replicas with {sorted(steps)} steps per epoch cannot train "
                             "together; group them with train")
        self.steps_per_epoch = steps.pop()
        # The encoder reads minibatches in the caller's order, the likelihood in
        # the padded bucket layout.
        self.padder = Padder(network.padded.data_columns, X.device)
        self.optimizer = torch.optim.Adam(
            [{"params": [*network.encoder_parameters(), *network.noise_parameters()]},
             {"params": network.generator_parameters(),
              "weight_decay": 1 / config.prior_scale**2}],
            lr=config.lr, **_adam_implementation(X.device))
        self.prox = ProximalAdam(network.W, config.lr, n_replicas=self.n_replicas,
                                 component_lasso=config.component_lasso)
        self.iteration = 0
        # one value per group of W, (R * G, 1, 1): W holds the replicas' groups in turn
        self._lam_tensor = torch.tensor(self.lams, dtype=torch.float64, device=X.device) \
            .repeat_interleave(len(network.W) // self.n_replicas).view(-1, 1, 1)
        self._lam_full = self._lam_tensor.to(network.W.dtype)
        self._buffers = self._eps = self._subsamples = None

    def minibatch(self, idx):
        """Rows *idx* of X: in the caller's order and in the padded layout.

        *idx* holds R rows per minibatch row (replica after replica). Both
        copies are written into buffers reused across steps (a fresh
        minibatch-sized allocation costs as much as a pass over it); the padded
        copy, whose row holds the R replicas' rows, holds ``mc_samples``
        stacked repeats and is overwritten by :meth:`terms`.
        """
        n, reps = len(idx) // self.n_replicas, self.config.mc_samples
        if self._buffers is None or self._buffers[0].shape[0] != len(idx):
            like = {"dtype": self.X.dtype, "device": self.X.device}
            self._buffers = (torch.empty(len(idx), self.X.shape[1], **like),
                             torch.empty(n * reps, self.network.n_padded, **like))
        xb, padded = self._buffers
        self.X.take(idx, xb)
        self.padder(xb.view(n, -1), padded[:n])
        for rep in range(1, reps):
            padded[rep * n:(rep + 1) * n].copy_(padded[:n])
        return xb, padded

    def terms(self, batch, std_multiplier):
        """Per-observation reconstruction and KL on a minibatch, each (R,).

        *batch* comes from :meth:`minibatch`. log p(theta) is not a term of the
        step's loss: its gradient is applied by the optimiser's weight decay
        and its value is recorded once per epoch (:meth:`run`).
        """
        xb, padded = batch
        x = xb if self.n_replicas == 1 else xb.view(
            -1, self.n_replicas, xb.shape[1]).transpose(0, 1)
        head = self.network.encoder_head(x)
        z, kl = reparameterise(head, self._noise(head), std_multiplier)
        return self.network.expected_log_likelihood(padded, z), kl

    def _noise(self, head):
        """Standard normal draws for :func:`reparameterise`, ([R,] mc_samples, n, K).

        Data-parallel ranks draw the whole minibatch's noise and use their rows'.
        """
        *lead, n, k2 = head.shape  # no replica dimension for one replica
        world = 1 if self.parallel is None else self.parallel.world
        shape = (*lead, self.config.mc_samples, n * world, k2 // 2)
        if self._eps is None or self._eps.shape != shape:
            self._eps = head.new_empty(shape)
        for eps, generator in zip(self._eps.view(self.n_replicas, *shape[-3:]),
                                  self.generators):
            torch.randn(shape[-3:], generator=generator, out=eps)
        if world == 1:
            return self._eps
        return self._eps[..., self.parallel.shard(n * world), :]

    def current_lam(self):
        """Group-lasso strength of every group of W now, (R * G, 1, 1) (0.0 at first)."""
        ramp = self.config.lam_warmup
        if ramp <= 0 or self.iteration >= ramp:
            return self._lam_full
        if self.iteration == 0:
            return 0.0
        # lam * iteration / ramp in float64, rounded to W's precision once
        return (self._lam_tensor * self.iteration / ramp).to(self._lam_full.dtype)

    def kl_weight(self):
        """Weight of the KL term: grows linearly from 0 over ``kl_warmup`` iterations.

        Deep generators need it: a latent that only a nonlinear generator can
        use gives no gradient until the encoder carries it, and at full KL
        weight the encoder never starts (posterior collapse; see the model
        page of the documentation).
        """
        ramp = self.config.kl_warmup
        if ramp <= 0 or self.iteration >= ramp:
            return 1.0
        return self.iteration / ramp

    def epoch(self, n_steps):
        """Run *n_steps* iterations; return the (n_steps, R, 2) tensor of (rec, kl)."""
        cfg = self.config
        record = torch.empty(n_steps, self.n_replicas, 2, device=self.X.device)
        order = self._epoch_order()
        for step in range(n_steps):
            record[step] = self.step(order[step], 0.1 if self.iteration < cfg.warmup else 1.0)
            self.iteration += 1
        return record if self.parallel is None else self.parallel.average(record)

    def _epoch_order(self):
        """(steps_per_epoch, batch_size * R): step s's rows, R per minibatch row.

        During ``subsample_warmup`` the rows come from each replica's
        :meth:`subsample`, each pass over it in a new order.
        """
        size = self.steps_per_epoch * self.config.batch_size
        subsampled = self.iteration < self.config.subsample_warmup
        orders = []
        for r, generator in enumerate(self.generators):
            rows = self.subsample(r) if subsampled else self._training_rows(r)
            n_rows = self.X.shape[0] if rows is None else len(rows)
            perm = torch.cat([torch.randperm(n_rows, generator=generator, device=self.X.device)
                              for _ in range(-(-size // n_rows))])[:size]
            orders.append(perm if rows is None else rows[perm])
        return torch.stack(orders, 1).view(self.steps_per_epoch, -1)

    def _training_rows(self, r):
        """Replica *r*'s training rows (``None``: all of X)."""
        return None if self.rows is None else self.rows[r]

    def subsample(self, r):
        """Replica *r*'s ``subsample_size`` training rows of the subsample warm-up.

        A random subset of its training rows drawn from the replica's seed
        alone (so a resumed run draws the same one), sorted; all its training
        rows (``None``: all of X) when it has no more than that.
        """
        if self._subsamples is None:
            self._subsamples = [None] * self.n_replicas
            size = self.config.subsample_size
            for i, seed in enumerate(self.seeds):
                rows = self._subsamples[i] = self._training_rows(i)
                n_rows = self.X.shape[0] if rows is None else len(rows)
                if n_rows > size:
                    generator = torch.Generator(device=self.X.device).manual_seed(seed)
                    pick = torch.randperm(n_rows, generator=generator,
                                          device=self.X.device)[:size].sort().values
                    self._subsamples[i] = pick if rows is None else rows[pick]
        return self._subsamples[r]

    def _own_share(self, idx):
        """This data-parallel rank's rows of the minibatch *idx* (all of it when alone)."""
        if self.parallel is None:
            return idx
        rows = idx.view(-1, self.n_replicas)
        return rows[self.parallel.shard(len(rows))].reshape(-1)

    def step(self, idx, std_multiplier):
        """One iteration on the rows *idx* of X; returns (R, 2) (rec, kl) without a graph.

        Data-parallel ranks compute their share of the minibatch and average
        the gradients before the (identical) updates.
        """
        rec, kl = self.terms(self.minibatch(self._own_share(idx)), std_multiplier)
        weight = self.kl_weight()
        loss = (kl if weight == 1.0 else weight * kl) - rec
        self.optimizer.zero_grad(set_to_none=True)
        self.network.W.grad = None
        loss.sum().backward()
        if self.parallel is not None:
            self.parallel.average_gradients(self.network.parameters())
        self.optimizer.step()
        self.prox.step(self.current_lam())
        return torch.stack([rec.detach(), kl.detach().expand_as(rec)], -1)

    def snapshot(self):
        return {k: v.detach().clone() for k, v in self.network.state_dict().items()}

    def check_finite(self, record, first_iteration):
        """Raise DivergenceError naming the first non-finite term or parameter."""
        bad = ~torch.isfinite(record)
        if bad.any():
            step, replica, term = (int(i) for i in torch.nonzero(bad)[0])
            which = f" of replica {replica}" if self.n_replicas > 1 else ""
            raise DivergenceError(
                f"the {TERMS[term]} term of the ELBO{which} became non-finite at "
                f"iteration {first_iteration + step}")
        for name, param in self.network.named_parameters():
            if not torch.isfinite(param).all():
                raise DivergenceError(
                    f"parameter {name} became non-finite between iterations "
                    f"{first_iteration} and {first_iteration + len(record) - 1}")

    def state_dict(self):
        """Everything needed to continue this run bit-identically (checkpoints).

        Parameters, Adam's moments and the proximal step's moments are per
        replica in the canonical form (:meth:`Network.canonical_state`), so a
        run resumes whatever the layout it continues in. Adam's step count is
        one number: every parameter gets a gradient at every iteration.
        """
        network, names = self.network, self._optimized_parameters()
        adam = self.optimizer.state_dict()["state"]
        replicas = range(self.n_replicas)

        def canonical(state):
            return [network.canonical_state(state, r) for r in replicas]

        moments = {key: canonical({name: adam[i][key] for i, name in enumerate(names)})
                   for key in ("exp_avg", "exp_avg_sq")}
        prox = {key: canonical({"W": value})
                for key, value in self.prox.state_dict().items() if key != "t"}
        return {"network": canonical(None), "adam": moments,
                "adam_step": float(adam[0]["step"]) if adam else 0.0,
                "prox": prox, "prox_t": self.prox.t,
                "generators": [g.get_state() for g in self.generators],
                "iteration": self.iteration}

    def load_state_dict(self, state):
        """Continue from a :meth:`state_dict` (of a run in any layout)."""
        network, device = self.network, self.X.device
        network.load_state_dict(network.internal_state(state["network"]))
        adam = self.optimizer.state_dict()
        moments = {key: network.internal_state(value) for key, value in state["adam"].items()}
        for i, name in enumerate(self._optimized_parameters()):
            adam["state"][i] = {"step": torch.tensor(float(state["adam_step"])),
                                **{key: value[name].to(device)
                                   for key, value in moments.items()}}
        self.optimizer.load_state_dict(adam)
        self.prox.load_state_dict({"t": state["prox_t"], **{
            key: network.internal_state(value)["W"] for key, value in state["prox"].items()}})
        for generator, value in zip(self.generators, state["generators"]):
            generator.set_state(value)
        self.iteration = int(state["iteration"])

    def _optimized_parameters(self):
        """Names of the parameters Adam updates, in its order (its state's indices)."""
        names = {param: name for name, param in self.network.named_parameters()}
        return [names[param] for group in self.optimizer.param_groups
                for param in group["params"]]

    def run(self, histories, on_epoch=None):
        """Train until ``config.n_iter`` iterations; append one entry per epoch to *histories*.

        *histories* holds one dict per replica. The reconstruction and KL terms
        are means over the epoch's steps; the priors (log p(theta), group
        lasso) are taken at the epoch's end.

        On divergence the network is restored to its state at the end of the
        last finite epoch before the error propagates.
        """
        try:
            good = self.snapshot()
            while self.iteration < self.config.n_iter:
                first = self.iteration
                n_steps = min(self.steps_per_epoch, self.config.n_iter - first)
                try:
                    record = self.epoch(n_steps)
                    self.check_finite(record, first)
                except DivergenceError:
                    self.network.load_state_dict(good)
                    raise
                good = self.snapshot()
                self._record(histories, record)
                if on_epoch is not None:
                    on_epoch(self)
        finally:
            self.network.release_workspace()
        return histories

    def _record(self, histories, record):
        """Append the epoch's terms to every replica's history."""
        with torch.no_grad():
            log_priors = self.network.log_prior_theta(self.config.prior_scale)
        columns = self.network.group_norms()
        components = columns.square().sum(-2).sqrt()
        norms = (columns.sum((-2, -1))
                 + self.config.component_lasso * components.sum(-1)).tolist()
        for hist, (rec, kl), log_prior, lam, norm in zip(
                histories, record.mean(0).tolist(), log_priors.tolist(), self.lams, norms):
            penalty = -lam * norm
            for key, value in zip(("iteration", *TERMS, "elbo"),
                                  (self.iteration, rec, kl, log_prior, penalty,
                                   rec - kl + log_prior + penalty)):
                hist.setdefault(key, []).append(value)

    @torch.no_grad()
    def elbo(self):
        """Every replica's ELBO per observation now, on its training rows: R floats.

        Reconstruction minus KL, averaged over the first ``steps_per_epoch *
        batch_size`` training rows of each replica, in order (all of them,
        repeated, where a minibatch holds more), with the replica's
        ``mc_samples`` draws: the data term of J, without the priors. It
        ranks restarts (:func:`train` returns it with every fit). The
        history's last epochs are no substitute: they average minibatches
        drawn while the parameters still move, and that noise is as large as
        the gaps between the restarts of a deep model (a few tenths of a nat).
        Nor is J itself: log p(theta) and the group lasso differ between
        restarts by as much (under a weak generator prior W's scale can trade
        against the first generator layer's), and ranked by J the restart kept
        was no better than a random one on the nonlinear network cells (see
        the model page, "Which restart to keep"). The noise generators are
        restored afterwards: a checkpoint taken after this call continues the
        run as if it had not been made.
        """
        states = [generator.get_state() for generator in self.generators]
        positions = torch.arange(self.steps_per_epoch * self.config.batch_size,
                                 device=self.X.device)
        orders = []
        for r in range(self.n_replicas):
            rows = self._training_rows(r)
            n_rows = self.X.shape[0] if rows is None else len(rows)
            first = positions % n_rows  # all rows, over again, when a minibatch is larger
            orders.append(first if rows is None else rows[first])
        order = torch.stack(orders, 1).view(self.steps_per_epoch, -1)
        total = torch.zeros(self.n_replicas, device=self.X.device)
        try:
            for idx in order:
                rec, kl = self.terms(self.minibatch(self._own_share(idx)), 1.0)
                step = rec - kl
                total += step if self.parallel is None else self.parallel.average(step)
        finally:
            for generator, state in zip(self.generators, states):
                generator.set_state(state)
            self.network.release_workspace()
        return (total / self.steps_per_epoch).tolist()


class Trained(NamedTuple):
    """One fit of :func:`train`: its network (one replica), history and final ELBO."""

    network: Network
    history: dict
    elbo: float  # Trainer.elbo at the end (non-finite: treat as the worst)


class Task(NamedTuple):
    """One fit of :func:`train`."""

    seed: int  # of the initialisation, the minibatch order and the noise
    lam: float
    rows: object = None  # Tensor of int (training rows of X) or None (all rows)


def train(layout, architecture, tasks, X, config, *, on_epoch=None, resume=None,
          chunk_bytes=CHUNK_BYTES, parallel=None, warm_start=None, refit_encoder=False):
    """Fit one model per task, many at a time, each as a fit of its own would.

    Tasks with the same number of steps per epoch train together as the
    replicas of one :class:`Network`, in chunks whose scratch memory stays
    within *chunk_bytes*. The data is never copied: each replica gathers its
    minibatches by index. Every network starts with its output bias and noise
    at the mean and variance of its training rows (:meth:`Network.init_from_data`).

    Parameters
    ----------
    layout : GroupLayout
    architecture : Architecture
    tasks : list of Task
    X : torch.Tensor, (n_samples, n_features) | row source
    config : TrainConfig
        Settings shared by all tasks (``config.lam`` is not used).
    on_epoch : callable | None
        Called after every epoch as ``on_epoch(trainer, histories, n_done)``:
        the chunk's :class:`Trainer`, its replicas' histories and the number of
        iterations done so far, summed over all tasks.
    resume : dict | None
        ``{"state": Trainer.state_dict(), "histories": [...]}`` to continue
        from; all tasks must then train as one chunk.
    chunk_bytes : int | None
        Scratch memory allowed to one chunk; ``None``: all tasks in one chunk
        (tasks must then have the same number of steps per epoch).
    parallel : DataParallel | None
        Share every minibatch among these ranks (see :class:`Trainer`).
    warm_start : Network | None
        A fitted network (one replica): every task starts from it and trains
        W alone (and the encoder with *refit_encoder*), all other parameters
        fixed (per-subject maps of a group model). ``None``: fresh networks,
        all parameters trained.
    refit_encoder : bool
        With *warm_start*, train the encoder too.

    Returns
    -------
    fits : list of Trained
        Per task: its fitted network (one replica), history and ELBO on its
        training rows (:meth:`Trainer.elbo` at the end).

    Raises
    ------
    DivergenceError
        When a replica diverges. If its chunk holds all tasks, ``fits`` are
        the replicas at their last finite epoch.
    """
    X = as_rows(X)
    steps = [max(1, (X.shape[0] if t.rows is None else len(t.rows)) // config.batch_size)
             for t in tasks]
    chunk = len(tasks)
    if chunk_bytes is not None:
        n_padded = (layout.n_features if architecture.group_latent_dim is None
                    else layout.padded().n_padded)
        per_replica = 4 * config.batch_size * (X.shape[1] + 3 * config.mc_samples * n_padded)
        chunk = max(1, chunk_bytes // per_replica)
    fits = [None] * len(tasks)
    done = 0
    for n_steps in dict.fromkeys(steps):
        same = [i for i, s in enumerate(steps) if s == n_steps]
        for start in range(0, len(same), chunk):
            members = same[start:start + chunk]
            trainer = _chunk_trainer(layout, architecture, [tasks[i] for i in members],
                                     X, config, parallel, warm_start, refit_encoder)
            histories = [{} for _ in members]
            if resume is not None:
                trainer.load_state_dict(resume["state"])
                histories = resume["histories"]

            def report(tr, before=done, histories=histories):
                if on_epoch is not None:
                    on_epoch(tr, histories, before + tr.iteration * tr.n_replicas)

            try:
                trainer.run(histories, on_epoch=report)
            except DivergenceError as err:
                if len(members) == len(tasks):
                    err.fits = _split(trainer, histories)
                raise
            for i, fit in zip(members, _split(trainer, histories)):
                fits[i] = fit
            done += config.n_iter * len(members)
    return fits


def _chunk_trainer(layout, architecture, tasks, X, config, parallel, warm_start,
                   refit_encoder):
    network = Network(layout, architecture, [t.seed for t in tasks]).to(X.device, X.dtype)
    rows = None if all(t.rows is None for t in tasks) else [
        torch.arange(X.shape[0], device=X.device) if t.rows is None
        else torch.as_tensor(t.rows, device=X.device) for t in tasks]
    if warm_start is None:
        for r, task in enumerate(tasks):
            network.init_from_data(r, X, None if task.rows is None else rows[r])
    else:
        start = warm_start.canonical_state()
        network.load_state_dict(network.internal_state([start] * len(tasks)))
        trained = {id(network.W)} | {id(p) for p in network.encoder_parameters()
                                     if refit_encoder}
        for param in network.parameters():
            param.requires_grad_(id(param) in trained)  # Adam skips the others
    return Trainer(network, X, config, [t.seed for t in tasks], [t.lam for t in tasks], rows,
                   parallel)


def _split(trainer, histories):
    """A :class:`Trained` for every replica of *trainer*'s network."""
    network, elbos = trainer.network, trainer.elbo()
    if network.n_replicas == 1:
        return [Trained(network, histories[0], elbos[0])]
    return [Trained(network.replica(r), history, elbo)
            for r, (history, elbo) in enumerate(zip(histories, elbos))]


def _adam_implementation(device):
    """Fused Adam where torch has it for *device*: a few kernels for all tensors.

    On a CPU it is about 3x faster than the per-tensor loop, which matters at
    small minibatches where the step is a millisecond.
    """
    fused_cpu = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)
    return {"fused": True} if device.type == "cuda" or fused_cpu else {"foreach": True}

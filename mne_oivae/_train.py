"""Training loop: collapsed ELBO, Adam on networks, proximal Adam step on W.

Objective, in per-observation units (the reference code's convention)::

    J = 1/N sum_n ( E_q[log p(x_n | z)] - KL(q(z | x_n) || p(z)) )
        + log p(theta) - lam * sum_{g, j} ||W(g)[:, j]||_2

i.e. 1/N times the whole-data collapsed ELBO in which both priors, the
N(0, prior_scale^2) prior on the generator parameters theta and the group
lasso on W, count once per observation (raised to the power N). Their
strength relative to the likelihood therefore does not fade as the data set
grows: the same ``lam`` prunes the same way on 2,000 or 40,000 observations.
Both priors are needed together: W(g) z enters f_g through a linear layer,
so without a prior that holds theta to unit scale the group lasso could be
dodged by shrinking W and growing f_g's first-layer weights.

The gradient of log p(theta) is Adam's (coupled) weight decay
``1 / prior_scale**2`` on the generator parameters, so the prior costs no
autograd work per step; its value is recorded at the end of every epoch.
"""

from dataclasses import dataclass

import numpy as np
import torch

from ._fused import reparameterise

TERMS = ("reconstruction", "kl", "log_prior_theta", "group_lasso")


class DivergenceError(RuntimeError):
    """A loss term or a parameter became non-finite during :meth:`OIVAE.fit`."""


@dataclass
class TrainConfig:
    n_iter: int
    batch_size: int
    lr: float
    lam: float
    prior_scale: float
    mc_samples: int
    warmup: int
    lam_warmup: int


class ProximalAdam:
    """Adam with a metric that is constant over each column W(g)[:, j].

    A column-wise scalar metric keeps the group soft-threshold exact, so every
    step is a true variable-metric proximal gradient step: its fixed points are
    the stationary points of J, and pruned columns are exactly zero. The metric
    is Adam's RMS gradient averaged over the column, so the step is invariant to
    the scale of the data (the reference code's plain SGD step of 1e-4 is not).
    """

    def __init__(self, W, lr, betas=(0.9, 0.999), eps=1e-8):
        self.W, self.lr, self.betas, self.eps = W, lr, betas, eps
        self.m = torch.zeros_like(W)
        self.v = torch.zeros_like(W)
        self.t = 0

    @torch.no_grad()
    def step(self, lam):
        b1, b2 = self.betas
        self.t += 1
        grad = self.W.grad
        self.m.lerp_(grad, 1 - b1)
        self.v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        rms = (self.v.mean(dim=1, keepdim=True) / (1 - b2**self.t)).sqrt_().add_(self.eps)
        step = self.lr / rms
        self.W.addcmul_(step, self.m, value=-1 / (1 - b1**self.t))
        if lam > 0:
            shrink_columns(self.W, step * lam)

    def state_dict(self):
        return {"m": self.m, "v": self.v, "t": self.t}

    def load_state_dict(self, state):
        self.m.copy_(torch.as_tensor(state["m"]))
        self.v.copy_(torch.as_tensor(state["v"]))
        self.t = int(state["t"])


@torch.no_grad()
def shrink_columns(W, threshold):
    """Group soft-threshold of every column W[g, :, j], in place.

    ``W[g, :, j] <- W[g, :, j] / ||.|| * max(0, ||.|| - threshold[g, 0, j])``:
    the proximal operator of ``threshold * ||.||_2``. Columns whose norm is
    at most the threshold become exact zeros.
    """
    # not linalg.vector_norm: ten times slower on small CPU tensors
    norms = W.square().sum(dim=1, keepdim=True).sqrt_()
    factor = torch.clamp(1 - threshold / torch.clamp(norms, min=torch.finfo(W.dtype).tiny),
                         min=0)
    W.mul_(factor)


class Trainer:
    """Runs the optimisation of one :class:`OIVAEModule` on a data tensor.

    Parameters
    ----------
    module : OIVAEModule
    X : torch.Tensor, (n_samples, n_features)
        Data in the caller's feature order, on the module's device. Minibatches
        are gathered from it; it is never copied whole.
    config : TrainConfig
    generator : torch.Generator
        Source of minibatch orders and reparameterisation noise.
    """

    def __init__(self, module, X, config, generator):
        self.module, self.X, self.config, self.generator = module, X, config, generator
        self.n_samples = X.shape[0]
        layout = module.layout
        # The encoder reads minibatches in the caller's order, the likelihood in
        # the padded bucket layout.
        columns = padded_columns(layout.feature_order, module.padded_position,
                                 module.n_padded, X.shape[1])
        self.padded_columns = torch.as_tensor(columns, device=X.device)
        runs = column_runs(columns)
        # Long runs of consecutive columns (groups stored contiguously, as
        # vertices of a label usually are) are copied as blocks: much faster
        # than an element-wise gather. Short ones are not worth a kernel each.
        self.column_runs = runs if len(runs) * 64 <= len(columns) else None
        self.optimizer = torch.optim.Adam(
            [{"params": [*module.encoder_parameters(), module.log_var]},
             {"params": module.generator_parameters(),
              "weight_decay": 1 / config.prior_scale**2}],
            lr=config.lr, **_adam_implementation(X.device))
        self.prox = ProximalAdam(module.W, config.lr)
        self.iteration = 0
        self.steps_per_epoch = max(1, self.n_samples // config.batch_size)
        self._buffers = None

    def minibatch(self, idx):
        """Rows *idx* of X: in the caller's order and in the padded layout.

        Both are written into buffers reused across steps (a fresh
        minibatch-sized allocation costs as much as a pass over it); the padded
        copy holds ``mc_samples`` stacked repeats and is overwritten by
        :meth:`terms`.
        """
        n, reps = len(idx), self.config.mc_samples
        if self._buffers is None or self._buffers[0].shape[0] != n:
            self._buffers = (self.X.new_empty(n, self.X.shape[1]),
                             self.X.new_empty(n * reps, len(self.padded_columns)))
        xb, padded = self._buffers
        torch.index_select(self.X, 0, idx, out=xb)
        if self.column_runs is None:
            torch.index_select(xb, 1, self.padded_columns, out=padded[:n])
        else:
            for dst, src, length in self.column_runs:
                padded[:n, dst:dst + length] = xb[:, src:src + length]
        for rep in range(1, reps):
            padded[rep * n:(rep + 1) * n].copy_(padded[:n])
        return xb, padded

    def terms(self, batch, std_multiplier):
        """Per-observation reconstruction and KL on a minibatch.

        *batch* comes from :meth:`minibatch`. log p(theta) is not a term of the
        step's loss: its gradient is applied by the optimiser's weight decay
        and its value is recorded once per epoch (:meth:`run`).
        """
        cfg, module = self.config, self.module
        xb, padded = batch
        head = module.encoder_head(xb)
        eps = torch.randn((cfg.mc_samples, len(head), head.shape[1] // 2),
                          generator=self.generator, device=head.device, dtype=head.dtype)
        z, kl = reparameterise(head, eps, std_multiplier)
        return module.expected_log_likelihood(padded, z), kl

    def current_lam(self):
        ramp = self.config.lam_warmup
        if ramp <= 0 or self.iteration >= ramp:
            return self.config.lam
        return self.config.lam * self.iteration / ramp

    def epoch(self, n_steps):
        """Run *n_steps* iterations; return the (n_steps, 2) tensor of (rec, kl)."""
        cfg = self.config
        record = torch.empty(n_steps, 2, device=self.X.device)
        perm = torch.randperm(self.n_samples, generator=self.generator,
                              device=self.X.device)
        for step in range(n_steps):
            idx = perm[(step % self.steps_per_epoch) * cfg.batch_size:][:cfg.batch_size]
            record[step] = self.step(idx, 0.1 if self.iteration < cfg.warmup else 1.0)
            self.iteration += 1
        return record

    def step(self, idx, std_multiplier):
        """One iteration on the rows *idx* of X; returns (rec, kl) without a graph."""
        rec, kl = self.terms(self.minibatch(idx), std_multiplier)
        loss = kl - rec
        self.optimizer.zero_grad(set_to_none=True)
        self.module.W.grad = None
        loss.backward()
        self.optimizer.step()
        self.prox.step(self.current_lam())
        return torch.stack([rec, kl]).detach()

    def snapshot(self):
        return {k: v.detach().clone() for k, v in self.module.state_dict().items()}

    def check_finite(self, record, first_iteration):
        """Raise DivergenceError naming the first non-finite term or parameter."""
        bad = ~torch.isfinite(record)
        if bad.any():
            row, col = (int(i) for i in torch.nonzero(bad)[0])
            raise DivergenceError(
                f"the {TERMS[col]} term of the ELBO became non-finite at iteration "
                f"{first_iteration + row}")
        for name, param in self.module.named_parameters():
            if not torch.isfinite(param).all():
                raise DivergenceError(
                    f"parameter {name} became non-finite between iterations "
                    f"{first_iteration} and {first_iteration + len(record) - 1}")

    def state_dict(self):
        """Everything needed to continue this run bit-identically (checkpoints)."""
        return {"module": {k: v.detach().cpu() for k, v in self.module.state_dict().items()},
                "adam": self.optimizer.state_dict(), "prox": self.prox.state_dict(),
                "generator": self.generator.get_state(), "iteration": self.iteration}

    def load_state_dict(self, state):
        self.module.load_state_dict(state["module"])
        self.optimizer.load_state_dict(state["adam"])
        self.prox.load_state_dict(state["prox"])
        self.generator.set_state(state["generator"])
        self.iteration = int(state["iteration"])

    def run(self, history, on_epoch=None):
        """Train until ``config.n_iter`` iterations; append one entry per epoch to *history*.

        The reconstruction and KL terms are means over the epoch's steps; the
        priors (log p(theta), group lasso) are taken at the epoch's end.

        On divergence the module is restored to its state at the end of the last
        finite epoch before the error propagates.
        """
        try:
            self._epochs(history, on_epoch)
        finally:
            self.module.release_workspace()
        return history

    def _epochs(self, history, on_epoch):
        good = self.snapshot()
        while self.iteration < self.config.n_iter:
            first = self.iteration
            n_steps = min(self.steps_per_epoch, self.config.n_iter - first)
            try:
                record = self.epoch(n_steps)
                self.check_finite(record, first)
            except DivergenceError:
                self.module.load_state_dict(good)
                raise
            good = self.snapshot()
            rec, kl = record.mean(0).tolist()
            with torch.no_grad():
                log_prior = float(self.module.log_prior_theta(self.config.prior_scale))
            penalty = -self.config.lam * float(self.module.group_norms().sum())
            for key, value in zip(("iteration", *TERMS, "elbo"),
                                  (self.iteration, rec, kl, log_prior, penalty,
                                   rec - kl + log_prior + penalty)):
                history.setdefault(key, []).append(value)
            if on_epoch is not None:
                on_epoch(self)


def padded_columns(feature_order, padded_position, n_padded, n_features):
    """Data column of every column of the padded layout.

    Real columns hold their feature; a padding column (its value is never
    used) continues the run of the column before it, so that contiguous
    groups stay one run of consecutive columns.
    """
    columns = np.full(n_padded, -1)
    if padded_position is None:
        return np.asarray(feature_order)
    columns[padded_position.cpu().numpy()] = feature_order
    for j in np.flatnonzero(columns < 0):
        columns[j] = (columns[j - 1] + 1) % n_features
    return columns


def column_runs(columns):
    """(destination, source, length) of the maximal runs of consecutive columns."""
    breaks = np.flatnonzero(np.diff(columns) != 1) + 1
    starts = np.concatenate([[0], breaks])
    lengths = np.diff(np.concatenate([starts, [len(columns)]]))
    return [(int(a), int(columns[a]), int(n)) for a, n in zip(starts, lengths)]


def _adam_implementation(device):
    """Fused Adam where torch has it for *device*: a few kernels for all tensors.

    On a CPU it is about 3x faster than the per-tensor loop, which matters at
    small minibatches where the step is a millisecond.
    """
    fused_cpu = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)
    return {"fused": True} if device.type == "cuda" or fused_cpu else {"foreach": True}
